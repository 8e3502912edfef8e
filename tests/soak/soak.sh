#!/usr/bin/env bash
# tests/soak/soak.sh MINUTES [CLIENTS] [BUILD_DIR] - mixed traffic against
# a real hubd for MINUTES, reporting its RSS over time (not run in CI).
# See soak.py for what the clients do and what the summary means.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
minutes=${1:?usage: soak.sh MINUTES [CLIENTS] [BUILD_DIR]}
clients=${2:-8}
build=${3:-$here/../../build}
exec python3 "$here/soak.py" "$build" "$minutes" "$clients"
