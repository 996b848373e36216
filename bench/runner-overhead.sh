#!/usr/bin/env bash
# Benchmark: the sandbox runner's overhead per run. Runs a trivial C program directly and
# through `runner run`, interleaved, and writes the medians to bench/results/runner-overhead.json.
# Usage: bash bench/runner-overhead.sh [ITERATIONS]   (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
bash runner/build.sh >/dev/null
exec python3 bench/runner-overhead.py --runner runner/bin/runner \
  --iterations "${1:-300}" --out bench/results/runner-overhead.json
