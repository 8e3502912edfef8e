# tests/bench/lib.sh - shared shell helpers for the benchmark scripts:
# free ports, waiting for a server, running wrk and reading its figures.

# free_port: prints a free loopback TCP port, below the kernel's range of
# ephemeral ports (a port a client connection holds as its local end looks
# free here, yet a server cannot bind it).
free_port() {
  local p lo=32768 span
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  span=$(( lo > 12000 ? lo - 10000 : 20000 ))
  for _ in $(seq 1 50); do
    p=$(( (lo > 12000 ? 10000 : 40000) + RANDOM % span ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return; fi
  done
  return 1
}

# wait_http URL [LOG...]: waits up to 20 s for URL to answer 200; when it
# does not, says so and shows the end of each LOG file.
wait_http() {
  local url=$1 f; shift
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $url did not come up" >&2
  for f in "$@"; do
    [[ -f $f ]] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }
  done
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
