#!/usr/bin/env bash
# Phase-one scan rate: queue.WriteFile vs find -printf on a generated tree
# (default 50k entries), warm cache, median of 3. Benchmark only, not a test.
#   bench/phase1.sh [-entries N] [-runs N] [-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 go build -o "$bin/phase1" ./bench/phase1
"$bin/phase1" "$@"
