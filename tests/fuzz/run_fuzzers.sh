#!/usr/bin/env bash
# run_fuzzers.sh BUILD_DIR SECONDS - runs every fuzz_* executable of the
# fuzz build for SECONDS each, on a copy of its seed corpus; fails when a
# fuzzer finds a crash. Prints "N passed, N failed".
set -uo pipefail
build=$(cd "$1" && pwd)
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in $(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort); do
  name=$(basename "$bin")
  corpus="$work/$name"
  mkdir -p "$corpus"
  [[ -d $here/corpus/$name ]] && cp -r "$here/corpus/$name/." "$corpus/"
  echo "fuzzing $name for ${secs}s"
  if (cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=0 "$corpus" >"$work/$name.log" 2>&1); then
    passed=$((passed + 1))
    grep -E '^#[0-9]+.*DONE' "$work/$name.log" | tail -1 || true
  else
    failed=$((failed + 1))
    echo "FUZZ FAILURE in $name:"; tail -40 "$work/$name.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
