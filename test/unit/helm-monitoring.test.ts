// The chart's monitoring objects, rendered by helm: the ServiceMonitor scrapes what the metrics
// Service serves, the PrometheusRule holds the rule file's groups unchanged, the dashboard
// ConfigMap is labelled for Grafana's sidecar; and the dashboard and the rules ask only for
// metrics the operator serves (the webhook's, which the admission webhook will serve, aside).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { createOperatorMetrics } from '../../src/observability/operator-metrics.js';
import { CHART, helmForSuite, type Manifest } from '../support/helm.js';

const RELEASE = 'coderun';
const NAMESPACE = 'coderun-system';
const RULES_TEXT = readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8');
const DASHBOARD_TEXT = readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8');

const Dashboard = z.object({
  uid: z.string(),
  panels: z.array(z.object({ type: z.string(), title: z.string(), targets: z.array(z.object({ expr: z.string() })).optional() })),
});
const ServiceMonitorSpec = z.object({
  selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
  namespaceSelector: z.object({ matchNames: z.array(z.string()) }),
  endpoints: z.array(z.object({ port: z.string(), path: z.string(), relabelings: z.array(z.object({ targetLabel: z.string(), replacement: z.string() })) })),
});

const helm = helmForSuite();
const render = (args: string[] = []) => helm().template(RELEASE, NAMESPACE, args);
const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const ALL_ON = ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.dashboard.enabled=true'];

test('by default none of the monitoring objects is rendered (they need the prometheus-operator and Grafana)', () => {
  const manifests = render();
  expect([...ofKind(manifests, 'ServiceMonitor'), ...ofKind(manifests, 'PrometheusRule'), ...ofKind(manifests, 'ConfigMap')]).toEqual([]);
});

test('the ServiceMonitor selects the metrics Service by its labels and port, as job coderun-operator', () => {
  const manifests = render([...ALL_ON, '--set', 'metrics.serviceMonitor.labels.release=kube-prometheus-stack']);
  const [monitor] = ofKind(manifests, 'ServiceMonitor');
  const [service] = ofKind(manifests, 'Service');
  expect(monitor?.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(monitor?.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  const spec = ServiceMonitorSpec.parse(monitor?.spec);
  expect(service?.metadata.labels).toMatchObject(spec.selector.matchLabels);
  expect(spec.namespaceSelector.matchNames).toEqual([NAMESPACE]);
  const ports = (service?.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
  expect(spec.endpoints.map((e) => [e.port, e.path, e.relabelings])).toEqual([['metrics', '/metrics', [expect.objectContaining({ targetLabel: 'job', replacement: 'coderun-operator' })]]]);
  expect(ports).toContain(spec.endpoints[0]?.port);
});

test('a ServiceMonitor without the metrics Service is refused with a message', () => {
  expect(() => render(['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.service.enabled=false'])).toThrow(
    'metrics.serviceMonitor.enabled needs metrics.service.enabled=true',
  );
});

test("the PrometheusRule holds exactly the rule file's groups, with the configured labels", () => {
  const [rule] = ofKind(render([...ALL_ON, '--set', 'metrics.prometheusRule.labels.release=kube-prometheus-stack']), 'PrometheusRule');
  expect(rule?.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(rule?.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  expect(rule?.spec).toEqual(parse(RULES_TEXT));
});

test('the dashboard ConfigMap carries the dashboard unchanged, labelled for the Grafana sidecar, in the chosen namespace and folder', () => {
  const [configMap] = ofKind(render([...ALL_ON, '--set', 'metrics.dashboard.namespace=monitoring', '--set', 'metrics.dashboard.folder=coderun']), 'ConfigMap');
  expect(configMap?.metadata).toMatchObject({ namespace: 'monitoring', labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'coderun' } });
  const data = (configMap as unknown as { data: Record<string, string> }).data;
  expect(JSON.parse(data['coderun.json'] ?? '')).toEqual(JSON.parse(DASHBOARD_TEXT));
});

describe('the dashboard and the rules ask for metrics the operator serves', () => {
  const served = new Set(createOperatorMetrics().registry.getMetricsAsArray().map((m) => m.name));
  served.add('up');
  const metricNames = (expr: string): string[] =>
    // A metric name is what a selector or a range follows.
    [...expr.matchAll(/\b([a-z_][a-z0-9_]*)(?=[{[])/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));

  test('every dashboard panel has a query, and every query selects the job and names served metrics', () => {
    const dashboard = Dashboard.parse(JSON.parse(DASHBOARD_TEXT));
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const panel of graphs) {
      expect([panel.title, (panel.targets ?? []).length > 0]).toEqual([panel.title, true]);
      for (const { expr } of panel.targets ?? []) {
        expect([panel.title, expr.includes('job="coderun-operator"'), metricNames(expr).length > 0]).toEqual([panel.title, true, true]);
        for (const name of metricNames(expr)) expect([panel.title, name, served.has(name)]).toEqual([panel.title, name, true]);
      }
    }
  });

  test('every alert names served metrics, or the webhook\'s', () => {
    const rules = z.object({ groups: z.array(z.object({ rules: z.array(z.object({ alert: z.string(), expr: z.string() })) })) }).parse(parse(RULES_TEXT));
    for (const { alert, expr } of rules.groups.flatMap((g) => g.rules)) {
      const names = metricNames(expr);
      expect([alert, names.length > 0]).toEqual([alert, true]);
      for (const name of names) expect([alert, name, served.has(name)]).toEqual([alert, name, true]);
    }
  });
});
