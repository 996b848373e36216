// coderun's alert rules (deploy/helm/coderun/files/prometheus-rules.yaml, the one copy) checked
// and unit-tested by promtool, built from the Prometheus Go module: every alert fires on the
// series that mean trouble and stays quiet on healthy ones (test/unit/prometheus-rules/), has a
// runbook in the README. The chart's PrometheusRule: test/unit/helm-monitoring.test.ts.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { CHART, ROOT } from '../support/helm.js';
import { buildPrometheus, promtool, PROMETHEUS_BUILD_TIMEOUT_MS, type PrometheusBinaries } from '../support/prometheus.js';

const RULES = join(CHART, 'files/prometheus-rules.yaml');
const TESTS_DIR = join(ROOT, 'test/unit/prometheus-rules');
const TESTS = join(TESTS_DIR, 'alerts.test.yaml');

const RuleFile = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(z.object({ alert: z.string(), expr: z.string(), annotations: z.record(z.string(), z.string()) })) })),
});
const TestFile = z.object({
  tests: z.array(z.object({ name: z.string(), alert_rule_test: z.array(z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()) })) })),
});

const alerts = RuleFile.parse(parse(readFileSync(RULES, 'utf8'))).groups.flatMap((g) => g.rules);
let binaries: PrometheusBinaries;
beforeAll(() => {
  binaries = buildPrometheus();
}, PROMETHEUS_BUILD_TIMEOUT_MS);

test('promtool check rules accepts the rule file', () => {
  const { code, output } = promtool(binaries, ['check', 'rules', RULES], ROOT);
  expect([code, output]).toEqual([0, expect.stringContaining(`SUCCESS: ${alerts.length} rules found`)]);
});

test('promtool test rules: every alert test passes', () => {
  const { code, output } = promtool(binaries, ['test', 'rules', TESTS], TESTS_DIR);
  expect([code, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
});

test('every alert has a test where it fires and one where it stays quiet', () => {
  const cases = TestFile.parse(parse(readFileSync(TESTS, 'utf8'))).tests.flatMap((t) => t.alert_rule_test);
  const coverage = alerts.map(({ alert }) => ({
    alert,
    fires: cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
    quiet: cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
  }));
  expect(coverage).toEqual(alerts.map(({ alert }) => ({ alert, fires: true, quiet: true })));
});

test('the tests can fail: a rule whose threshold moved fails its test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coderun-rules-'));
  try {
    const rulesDir = join(dir, 'deploy/helm/coderun/files');
    mkdirSync(rulesDir, { recursive: true });
    mkdirSync(join(dir, 'test/unit/prometheus-rules'), { recursive: true });
    const rules = readFileSync(RULES, 'utf8');
    expect(rules).toContain('coderun_runs_oldest_active_seconds{phase="Pending"}) > 600');
    writeFileSync(join(rulesDir, 'prometheus-rules.yaml'), rules.replace('{phase="Pending"}) > 600', '{phase="Pending"}) > 6000'));
    copyFileSync(TESTS, join(dir, 'test/unit/prometheus-rules/alerts.test.yaml'));
    const { code, output } = promtool(binaries, ['test', 'rules', 'alerts.test.yaml'], join(dir, 'test/unit/prometheus-rules'));
    expect(code).toBe(1);
    expect(output).toContain('alertname: CodeRunRunsStuckPending');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every alert names its runbook, a section of the README under the alert\'s name', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const { alert, annotations } of alerts) {
    expect([alert, annotations.runbook]).toEqual([alert, `README.md#${alert.toLowerCase()}`]);
    expect([alert, readme.includes(`\n#### ${alert}\n`)]).toEqual([alert, true]);
  }
});
