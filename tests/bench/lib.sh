# tests/bench/lib.sh - shared shell helpers for the benchmark scripts:
# free ports, waiting for a server, running wrk and reading its figures.

# free_port: prints a free loopback TCP port.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return; fi
  done
  return 1
}

# wait_http URL: waits up to 20 s for URL to answer 200.
wait_http() {
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 did not come up" >&2
  return 1
}

# run_wrk NAME URL SECONDS CONNS [extra wrk args]: prints
# "NAME rps p50_ms p99_ms" from one wrk run (2 threads, --latency).
run_wrk() {
  local name=$1 url=$2 secs=$3 conns=$4; shift 4
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  if [[ -n $non2xx ]]; then
    echo "bench: $name had $non2xx non-2xx answers" >&2
  fi
  echo "$name $rps $(to_ms "$p50") $(to_ms "$p99")"
}

# to_ms VALUE: wrk latency ("812.00us", "1.20ms", "2.00s") in ms.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.3f", n }'
}
