#!/usr/bin/env bash
# `npm test`: every tier in order, each writing a JSON report to .test-results/, then one total.
# A stage that fails does not stop the later ones, so one run shows every failure; the exit code
# is non-zero if any stage failed or (under CI) any test was skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
out=.test-results
rm -rf "$out" && mkdir -p "$out"
failed=()

stage() {
  local name=$1; shift
  printf '\n=== %s\n' "$name"
  "$@" || failed+=("$name")
}
jest_tier() { # PROJECT REPORT
  node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects "$1" --runInBand \
    --json --outputFile="$out/$2.json"
}
go_tests() { # DIR REPORT (the output of failed Go tests is printed by the summary)
  (cd "$1" && GOTOOLCHAIN=local go test -count=1 -json ./...) > "$out/$2.jsonl" 2>&1
}

# The host packages the enforcer's dataplane tests and the cluster need (a no-op when present).
stage host-packages bash hack/cluster/install-host-deps.sh
# helm from its Go module, for the chart's tests (unit and e2e); cached, minutes only the first time.
stage helm bash hack/helm-bin/build.sh
# Prometheus and promtool from their Go module, for the alert rules' tests (unit) and the
# monitoring e2e test; cached, about 6.5 minutes only the first time.
stage prometheus bash hack/prometheus-bin/build.sh
stage lint npm run lint
stage unit jest_tier unit 1-unit
stage runner go_tests runner 2-runner
stage netpol-enforcer go_tests hack/netpol-enforcer 3-netpol
stage integration jest_tier integration 4-integration
stage e2e jest_tier e2e 5-e2e
# The hostile-submission suites again with warm pool pods that serve 20 runs each
# (warmPool.runsPerPod): reuse is allowed only while they pass with it on.
stage e2e-reuse env CODERUN_E2E_RUNS_PER_POD=20 node --experimental-vm-modules node_modules/jest/bin/jest.js \
  --selectProjects e2e --runInBand --json --outputFile="$out/5-e2e-reuse.json" test/e2e/hostile-
# Last, because it takes the cluster down and up again: cluster:down must leave nothing behind.
stage cluster-down-up bash -c "bash hack/cluster/check-down-up.sh 2>&1 | tee $out/6-cluster-down-up.txt; exit \${PIPESTATUS[0]}"

printf '\n=== summary\n'
node_modules/.bin/tsx scripts/summarize-tests.ts "$out" || failed+=(summary)
if ((${#failed[@]})); then
  echo "failed stages: ${failed[*]}"
  exit 1
fi
