// What an SRE sees, with real parts: the chart installs the operator (two replicas, the in-cluster
// image), a real Prometheus server (built from its Go module) runs on loopback and scrapes both
// replicas through Kubernetes service discovery configured as the chart's ServiceMonitor says,
// with the chart's alert rules loaded. A burst of runs (warm and cold, a Runtime whose command
// cannot start among them) must show up in PromQL: the runs, their latency, the pool, the
// failures by cause, per course; and every panel of the dashboard must return data.
import { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { eventually } from '../support/eventually.js';
import { CHART, Helm, HELM_BUILD_TIMEOUT_MS, ROOT } from '../support/helm.js';
import { CodeRunTestNamespace, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { testKubeConfig } from '../support/kube-config.js';
import { installCrds, uninstallRelease } from '../support/installed-operator.js';
import { buildPrometheus, PROMETHEUS_BUILD_TIMEOUT_MS, PrometheusServer, type Series } from '../support/prometheus.js';
import { ClusterTestNamespace } from './cluster-support.js';

const JOB = 'job="coderun-operator"';
const BURST = 12;
const POOL = 2;
const BROKEN_RUNS = 2;
const SCRAPE_SECONDS = 2;

const ServiceMonitorSpec = z.object({
  selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
  namespaceSelector: z.object({ matchNames: z.array(z.string()) }),
  endpoints: z.array(
    z.object({ port: z.string(), path: z.string(), relabelings: z.array(z.object({ action: z.string(), targetLabel: z.string(), replacement: z.string() })) }),
  ),
});
const Dashboard = z.object({
  panels: z.array(z.object({ type: z.string(), title: z.string(), targets: z.array(z.object({ expr: z.string() })).optional() })),
});
const RulesResponse = z.object({
  data: z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(z.object({ name: z.string(), health: z.string(), lastError: z.string().optional() })) })) }),
});
const AlertsResponse = z.object({ data: z.object({ alerts: z.array(z.object({ labels: z.record(z.string(), z.string()), state: z.string() })) }) });

/** Prometheus' name for a Kubernetes label in service discovery meta labels. */
const metaName = (label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_');

/**
 * The scrape job the prometheus-operator makes of a ServiceMonitor: endpoint slices of the
 * selected namespaces, kept by the Service's labels and the port's name, then its relabelings.
 */
function scrapeJobOf(spec: z.infer<typeof ServiceMonitorSpec>, kubeconfig: string): Record<string, unknown> {
  const endpoint = spec.endpoints[0]!;
  return {
    job_name: 'serviceMonitor/coderun-operator/0',
    scrape_interval: `${SCRAPE_SECONDS}s`,
    scrape_timeout: `${SCRAPE_SECONDS}s`,
    metrics_path: endpoint.path,
    kubernetes_sd_configs: [{ role: 'endpointslice', kubeconfig_file: kubeconfig, namespaces: { names: spec.namespaceSelector.matchNames } }],
    relabel_configs: [
      ...Object.entries(spec.selector.matchLabels).map(([label, value]) => ({
        action: 'keep',
        source_labels: [`__meta_kubernetes_service_label_${metaName(label)}`],
        regex: value,
      })),
      { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: endpoint.port },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      ...endpoint.relabelings.map((r) => ({ action: r.action, target_label: r.targetLabel, replacement: r.replacement })),
    ],
  };
}

const finite = (series: Series[]): number[] => series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
const only = (series: Series[]): number => {
  if (series.length !== 1 || series[0]!.values.length !== 1) throw new Error(`expected one sample, got ${JSON.stringify(series)}`);
  return series[0]!.values[0]!;
};

describe('a real Prometheus scraping the operator the chart installed', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const releaseNamespace = new ClusterTestNamespace(kc, 'coderun-mon');
  const release = releaseNamespace.name;
  const runs = new CodeRunTestNamespace(kc, 'e2e-monitoring');
  const runtime = `${release}-python3`;
  const broken = `${release}-no-command`;
  const python = parse(readFileSync(join(ROOT, 'deploy/runtimes/python3.yaml'), 'utf8')) as { spec: { run: { command: string[] } } & Record<string, unknown> };
  const standardRuntimes = Object.keys((parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { runtimes: Record<string, unknown> }).runtimes);
  const values = [
    ...['--set', `sandbox.namespace=${release}-sandbox`, '--set', 'image.pullPolicy=Never', '--set', 'sandbox.imagePullPolicy=Never', '--set', 'config.maxAttempts=2'],
    ...standardRuntimes.flatMap((name) => ['--set', `runtimes.${name}.enabled=false`]),
    ...['--set', `runtimes.${runtime}.enabled=true`, '--set-json', `runtimes.${runtime}.spec=${JSON.stringify({ ...python.spec, warmPool: { replicas: POOL } })}`],
    // No self-test: it would find the missing interpreter and keep the runs from starting at all;
    // here the runner must fail, for the SystemError and retry series.
    ...['--set', `runtimes.${broken}.enabled=true`, '--set-json', `runtimes.${broken}.spec=${JSON.stringify({ ...python.spec, selfTest: undefined, run: { command: ['/usr/bin/no-such-interpreter', 'main.py'] } })}`],
  ];
  let helm: Helm;
  let prometheus: PrometheusServer | undefined;
  let installed = false;
  let startedMs = 0;
  let finished = new Map<string, ObservedCodeRun>();
  const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
  const brokenNames = Array.from({ length: BROKEN_RUNS }, (_, i) => `broken-${i}`);

  /** Polls `expr` until `check` holds for its series. */
  async function until(what: string, expr: string, check: (series: Series[]) => boolean, timeoutMs = 60_000): Promise<Series[]> {
    let last: Series[] = [];
    await eventually(
      what,
      async () => {
        last = await prometheus!.query(expr);
        return check(last);
      },
      timeoutMs,
      { intervalMs: 1000, detail: () => `; ${expr} gave ${JSON.stringify(last)}\nprometheus log:\n${prometheus?.log() ?? ''}` },
    );
    return last;
  }

  beforeAll(async () => {
    helm = Helm.build();
    const binaries = buildPrometheus();
    execFileSync('bash', [join(ROOT, 'hack/images/build-operator-image.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    await installCrds(kc);
    // This release's operator must be the only one that reconciles (and its webhook the only one).
    uninstallRelease();
    await releaseNamespace.create();
    try {
      helm.run(['install', release, CHART, '--namespace', release, '--skip-crds', ...values, '--wait', '--timeout', '3m'], 200_000);
    } finally {
      installed = true;
    }

    // The ServiceMonitor as the chart renders it (its CRD is not on this cluster), made into the
    // scrape job the prometheus-operator would make of it.
    const monitor = helm.template(release, release, [...values, '--set', 'metrics.serviceMonitor.enabled=true']).find((m) => m.kind === 'ServiceMonitor');
    const kubeconfig = process.env.KUBECONFIG;
    if (kubeconfig === undefined) throw new Error('KUBECONFIG is not set: the jest globalSetup must bring the cluster up first');
    startedMs = Date.now();
    prometheus = await PrometheusServer.start(binaries, {
      global: { scrape_interval: `${SCRAPE_SECONDS}s`, evaluation_interval: `${SCRAPE_SECONDS}s` },
      rule_files: [join(CHART, 'files/prometheus-rules.yaml')],
      scrape_configs: [scrapeJobOf(ServiceMonitorSpec.parse(monitor?.spec), kubeconfig)],
    });
    await until('both operator replicas to be scraped', `up{${JOB}} == 1`, (s) => s.length === 2);
    await until(`the ${runtime} pool to have ${POOL} idle pods`, `sum(coderun_warm_pool_pods{${JOB}, runtime="${runtime}", state="idle"})`, (s) => s[0]?.values[0] === POOL, 120_000);

    await runs.create();
    await Promise.all([
      ...names.map((name) => runs.submit(name, { runtime, source: { inline: 'print(6 * 7)\n' }, tests: [{ name: 't', expectedStdout: '42\n' }] })),
      ...brokenNames.map((name) => runs.submit(name, { runtime: broken, source: { inline: 'print(1)\n' } })),
    ]);
    finished = await runs.waitForTerminal([...names, ...brokenNames], 240_000);
    // The last counts reach Prometheus with the next scrapes.
    await until('every run to be counted', `sum(coderun_runs_total{${JOB}, runtime=~"${runtime}|${broken}"})`, (s) => s[0]?.values[0] === BURST + BROKEN_RUNS);
  }, HELM_BUILD_TIMEOUT_MS + PROMETHEUS_BUILD_TIMEOUT_MS + 600_000);

  afterAll(async () => {
    await prometheus?.stop();
    // The runs first: only the operator removes their finalizers.
    await runs.destroy().catch(() => undefined);
    if (installed) helm.run(['uninstall', release, '--namespace', release, '--ignore-not-found', '--wait', '--timeout', '2m'], 150_000);
    await releaseNamespace.delete(120_000);
    helm?.dispose();
  }, 300_000);

  test('both replicas are scraped through service discovery, one leads, both say their version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const pods = await core.listNamespacedPod({ namespace: release, labelSelector: 'app.kubernetes.io/component=operator' });
    const up = await prometheus!.query(`up{${JOB}}`);
    expect(up.map((s) => s.metric.pod).sort()).toEqual(pods.items.map((p) => p.metadata!.name).sort());
    expect(only(await prometheus!.query(`sum(leader_election_master_status{${JOB}, name="coderun-operator"})`))).toBe(1);
    expect((await prometheus!.query(`coderun_build_info{${JOB}, version="${version}"}`)).length).toBe(2);
    expect(only(await prometheus!.query(`count(process_resident_memory_bytes{${JOB}} > 0)`))).toBe(2);
  });

  test('the runs show up by verdict and path, with an end-to-end latency that matches their statuses', async () => {
    expect(names.map((n) => finished.get(n)?.status.verdict)).toEqual(names.map(() => 'Accepted'));
    const byPath = await prometheus!.query(`sum by (path) (coderun_runs_total{${JOB}, runtime="${runtime}", verdict="Accepted"})`);
    const count = (path: string) => byPath.find((s) => s.metric.path === path)?.values[0] ?? 0;
    const paths = names.map((n) => finished.get(n)?.status.path);
    expect({ warm: count('warm'), cold: count('cold') }).toEqual({ warm: paths.filter((p) => p === 'warm').length, cold: paths.filter((p) => p === 'cold').length });
    expect(count('warm')).toBeGreaterThan(0);
    expect(count('cold')).toBeGreaterThan(0);

    expect(only(await prometheus!.query(`sum(coderun_run_duration_seconds_count{${JOB}, runtime="${runtime}"})`))).toBe(BURST);
    // Each run's latency from its own status: creation to finishedAt (1 s resolution each).
    const fromStatus = names.map((n) => (Date.parse(finished.get(n)!.status.finishedAt!) - Date.parse(finished.get(n)!.creationTimestamp)) / 1000);
    const total = only(await prometheus!.query(`sum(coderun_run_duration_seconds_sum{${JOB}, runtime="${runtime}"})`));
    expect(Math.abs(total - fromStatus.reduce((a, b) => a + b, 0))).toBeLessThan(2 * BURST);
    const p95 = only(await prometheus!.query(`histogram_quantile(0.95, sum by (le) (coderun_run_duration_seconds_bucket{${JOB}, runtime="${runtime}"}))`));
    expect(p95).toBeGreaterThan(0);
    expect(p95).toBeLessThanOrEqual(Math.max(...fromStatus) * 2 + 1);
  });

  test('the pool shows up: every run hit or missed it once, the pool refilled, and its refill time was measured', async () => {
    const hits = only(await prometheus!.query(`sum(coderun_warm_pool_claim_hits_total{${JOB}, runtime="${runtime}"})`));
    const misses = only(await prometheus!.query(`sum(coderun_warm_pool_claim_misses_total{${JOB}, runtime="${runtime}"})`));
    expect({ hits, misses, total: hits + misses }).toEqual({ hits: expect.any(Number), misses: expect.any(Number), total: BURST });
    expect(hits).toBeGreaterThan(0);
    expect(misses).toBeGreaterThan(0);
    // The first POOL pods and one replacement for each claimed pod.
    expect(only(await prometheus!.query(`sum(coderun_warm_pool_pod_ready_duration_seconds_count{${JOB}, runtime="${runtime}"})`))).toBeGreaterThanOrEqual(POOL);
    await until('the pool to be refilled', `sum(coderun_warm_pool_pods{${JOB}, runtime="${runtime}", state="idle"})`, (s) => s[0]?.values[0] === POOL, 120_000);
    expect(only(await prometheus!.query(`sum(coderun_warm_pool_pod_ready_duration_seconds_count{${JOB}, runtime="${runtime}"})`))).toBeGreaterThanOrEqual(POOL + hits);
  });

  test('a Runtime whose command cannot start: its runs are retried once and end in SystemError, counted by cause', async () => {
    expect(brokenNames.map((n) => finished.get(n)?.status.verdict)).toEqual(brokenNames.map(() => 'SystemError'));
    expect(only(await prometheus!.query(`sum(coderun_system_errors_total{${JOB}, runtime="${broken}", cause="RunnerFailed"})`))).toBe(BROKEN_RUNS);
    expect(only(await prometheus!.query(`sum(coderun_run_retries_total{${JOB}, runtime="${broken}", cause="RunnerFailed"})`))).toBe(BROKEN_RUNS);
  });

  test("per course: the runs are counted under their namespace, by phase", async () => {
    const byPhase = await prometheus!.query(`sum by (phase) (coderun_namespace_runs_total{${JOB}, namespace="${runs.name}"})`);
    expect(Object.fromEntries(byPhase.map((s) => [s.metric.phase, s.values[0]]))).toEqual({ Completed: BURST, Failed: BROKEN_RUNS });
  });

  test('the API requests the operator made are counted client-side by method and code', async () => {
    // Pod creates (cold runs and pool pods) and status patches.
    expect(only(await prometheus!.query(`sum(rest_client_requests_total{${JOB}, method="POST", code="201"})`))).toBeGreaterThanOrEqual(POOL);
    expect(only(await prometheus!.query(`sum(rest_client_requests_total{${JOB}, method="PATCH", code="200"})`))).toBeGreaterThanOrEqual(BURST);
    expect((await prometheus!.query(`rest_client_request_duration_seconds_count{${JOB}, verb="GET", code="200"}`)).length).toBeGreaterThan(0);
  });

  test("every dashboard panel's query returns data over the test's time range", async () => {
    const dashboard = Dashboard.parse(JSON.parse(readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8')));
    const empty: string[] = [];
    let queries = 0;
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      for (const { expr } of panel.targets ?? []) {
        // Grafana's variables as it would fill them: every runtime, a rate window of a few scrapes.
        const query = expr.replaceAll('$__rate_interval', '30s').replaceAll('$runtime', '.*');
        const series = await prometheus!.queryRange(query, startedMs, Date.now(), SCRAPE_SECONDS);
        queries += 1;
        if (finite(series).length === 0) empty.push(`${panel.title}: ${query}`);
      }
    }
    expect(queries).toBeGreaterThan(20);
    expect(empty).toEqual([]);
  });

  test('the runtime variable of the dashboard lists the runtimes', async () => {
    const response = await fetch(`${prometheus!.url}/api/v1/label/runtime/values?match[]=coderun_runs_total`);
    const body = z.object({ data: z.array(z.string()) }).parse(await response.json());
    expect(body.data).toEqual(expect.arrayContaining([runtime, broken]));
  });

  test('the alert rules load and evaluate on the real series without error, and none fires', async () => {
    const rules = RulesResponse.parse(await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()).data.groups.flatMap((g) => g.rules);
    const file = z.object({ groups: z.array(z.object({ rules: z.array(z.object({ alert: z.string() })) })) }).parse(parse(readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8')));
    expect(rules.map((r) => r.name).sort()).toEqual(file.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort());
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    const alerts = AlertsResponse.parse(await (await fetch(`${prometheus!.url}/api/v1/alerts`)).json()).data.alerts;
    expect(alerts.filter((a) => a.state === 'firing')).toEqual([]);
  });
});
