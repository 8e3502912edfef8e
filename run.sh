#!/usr/bin/env bash
# ./run.sh - builds hubd and its modules and starts it on the embedded
# default: SQLite under ./data, the local calendar, demo consultants.
# The first start creates the user "admin" and prints its one-time password.
# Extra arguments go to hubd (e.g. ./run.sh --check).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target hubd hubctl health booking admin analytics
echo "Business Hub: http://${HUB_LISTEN:-127.0.0.1:8080}/booking/  (sign in at /auth/)"
exec build/core/hubd -c plugins.conf "$@"
