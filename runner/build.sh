#!/usr/bin/env bash
# Builds the sandbox runner as one static binary: runner/bin/runner.
set -euo pipefail
cd "$(dirname "$0")"
export CGO_ENABLED=0 GOTOOLCHAIN=local
go build -trimpath -ldflags='-s -w' -o bin/runner .
echo "built $(pwd)/bin/runner"
