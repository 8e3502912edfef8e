#!/usr/bin/env bash
# run_all.sh BUILD_DIR [SECONDS] - runs every bench_*.sh here (and any
# executable bench_* target that prints its own figures). Informational:
# figures go to stdout; a benchmark that cannot run fails the script.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_all.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
rc=0
for b in "$here"/bench_*.sh; do
  echo "== $(basename "$b")"
  "$b" "$build" "$secs" || { echo "benchmark $(basename "$b") failed"; rc=1; }
done
exit $rc
