// The Helm chart rendered by helm itself (no cluster): lint, what the default values make, the
// schema's refusals, and that the chart says what the operator's code says (its configuration,
// the sandbox namespace, the standard Runtimes). The live API server's view is in
// test/e2e/helm-install.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { defaultDenyPolicy, sandboxNamespace } from '../../src/sandbox/namespace.js';
import { CHART, Helm, HELM_BUILD_TIMEOUT_MS, ROOT, type Manifest } from '../support/helm.js';

const RELEASE = 'coderun';
const NAMESPACE = 'coderun-system';

interface Container {
  name: string;
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}
interface DeploymentSpec {
  replicas: number;
  template: { spec: { serviceAccountName: string; containers: Container[]; topologySpreadConstraints: { labelSelector: unknown }[] } };
}

let helm: Helm;
beforeAll(() => {
  helm = Helm.build();
}, HELM_BUILD_TIMEOUT_MS);
afterAll(() => helm?.dispose());

const render = (args: string[] = []) => helm.template(RELEASE, NAMESPACE, args);
const find = (manifests: Manifest[], kind: string, name?: string) => manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
const one = (manifests: Manifest[], kind: string, name?: string): Manifest => {
  const found = find(manifests, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
};
const operatorContainer = (manifests: Manifest[]) => (one(manifests, 'Deployment').spec as DeploymentSpec).template.spec.containers[0]!;
const envOf = (container: Container) => Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));

test('helm lint --strict finds nothing to warn about', () => {
  const out = helm.run(['lint', '--strict', CHART]);
  expect(out).not.toMatch(/\[(WARNING|ERROR)\]/);
  expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
});

test('the default values: the operator Deployment with 2 replicas, its ServiceAccount, probes on the metrics port', () => {
  const manifests = render();
  const deployment = one(manifests, 'Deployment', 'coderun-operator');
  const spec = deployment.spec as DeploymentSpec;
  expect(deployment.metadata.namespace).toBe(NAMESPACE);
  expect(spec.replicas).toBe(2);
  expect(spec.template.spec.serviceAccountName).toBe(one(manifests, 'ServiceAccount').metadata.name);
  const container = spec.template.spec.containers[0]!;
  expect(container.ports).toEqual([expect.objectContaining({ name: 'metrics', containerPort: 8080 }), expect.objectContaining({ name: 'webhook', containerPort: 9443 })]);
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  expect(spec.template.spec.topologySpreadConstraints[0]!.labelSelector).toEqual({ matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'operator' }) });
  expect(one(manifests, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
  expect(one(manifests, 'Service', 'coderun-operator-metrics').spec).toMatchObject({ ports: [expect.objectContaining({ name: 'metrics', targetPort: 'metrics' })] });
});

test('the Deployment sets every variable src/config.ts reads, and the operator accepts them', () => {
  const container = operatorContainer(render());
  const read = new Set(readFileSync(join(ROOT, 'src/config.ts'), 'utf8').match(/\b(CODERUN_[A-Z_]+|LOG_LEVEL)\b/g));
  expect(container.env.map((e) => e.name).sort()).toEqual([...read].sort());
  expect(container.env.find((e) => e.name === 'CODERUN_IDENTITY')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  const config = loadConfig(envOf(container));
  expect(config).toMatchObject({ leaderElection: true, leaderElectionNamespace: NAMESPACE, manageNamespaces: false, sandboxNamespace: 'coderun-sandbox' });
});

test("the schema's bounds of `config` are the ones src/config.ts accepts", () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
    properties: { config: { properties: Record<string, { minimum?: number; maximum?: number }> } };
  };
  const variable = Object.fromEntries(operatorContainer(render()).env.map((e) => [e.name, e.value]));
  const variableOf: Record<string, string> = {
    workers: 'CODERUN_WORKERS',
    statusOutputBytes: 'CODERUN_STATUS_OUTPUT_BYTES',
    referenceGraceSeconds: 'CODERUN_REFERENCE_GRACE_SECONDS',
    runtimeReadyWaitSeconds: 'CODERUN_RUNTIME_READY_WAIT_SECONDS',
    podStartTimeoutSeconds: 'CODERUN_POD_START_TIMEOUT_SECONDS',
    maxAttempts: 'CODERUN_MAX_ATTEMPTS',
    resultBudgetMiB: 'CODERUN_RESULT_BUDGET_MIB',
    warmWaitMs: 'CODERUN_WARM_WAIT_MS',
    poolMaxStarting: 'CODERUN_POOL_MAX_STARTING',
    metricsNamespaceLimit: 'CODERUN_METRICS_NAMESPACE_LIMIT',
  };
  for (const [key, bounds] of Object.entries(schema.properties.config.properties)) {
    if (bounds.minimum === undefined || bounds.maximum === undefined) continue;
    const name = variableOf[key];
    expect([key, name !== undefined && variable[name] !== undefined]).toEqual([key, true]);
    const load = (value: number) => () => loadConfig({ [name!]: String(value) });
    expect(load(bounds.minimum)).not.toThrow();
    expect(load(bounds.maximum)).not.toThrow();
    expect(load(bounds.minimum - 1)).toThrow(name);
    expect(load(bounds.maximum + 1)).toThrow(name);
  }
});

test.each([
  [['--set', 'replicas=two'], "at '/replicas': got string, want integer"],
  [['--set', 'config.workers=many'], "at '/config/workers': got string, want integer"],
  [['--set', 'runtimes.python3.spec.warmPool.replicas=four'], "at '/runtimes/python3/spec/warmPool/replicas': got string, want integer"],
  [['--set', 'sandbox.imagePullPolicy=Sometimes'], "at '/sandbox/imagePullPolicy'"],
  [['--set', 'replica=3'], "additional properties 'replica' not allowed"],
])('helm template %j fails naming the value', (args, message) => {
  expect(() => render(args)).toThrow(message);
});

test('more than one replica without leader election is refused', () => {
  expect(() => render(['--set', 'leaderElection.enabled=false'])).toThrow('replicas > 1 needs leaderElection.enabled=true');
  const single = render(['--set', 'leaderElection.enabled=false', '--set', 'replicas=1']);
  expect(find(single, 'PodDisruptionBudget')).toEqual([]);
  expect(find(single, 'Role', 'coderun-operator-leader-election')).toEqual([]);
  expect(envOf(operatorContainer(single)).CODERUN_LEADER_ELECTION).toBe('false');
});

test('the sandbox namespace and its default-deny policy are the ones the operator would make', () => {
  const manifests = render(['--set', 'sandbox.namespace=judge-sandbox']);
  const namespace = one(manifests, 'Namespace', 'judge-sandbox');
  expect(namespace.metadata.labels).toMatchObject(sandboxNamespace('judge-sandbox').metadata!.labels!);
  const policy = one(manifests, 'NetworkPolicy');
  const expected = defaultDenyPolicy('judge-sandbox');
  expect({ ...policy.metadata, labels: undefined }).toEqual({ name: expected.metadata!.name, namespace: 'judge-sandbox', labels: undefined });
  expect(policy.metadata.labels).toMatchObject(expected.metadata!.labels!);
  expect(policy.spec).toEqual(expected.spec);
  // The sandbox rights follow the namespace; without createNamespace it must exist already.
  expect(one(manifests, 'Role', 'coderun-operator').metadata.namespace).toBe('judge-sandbox');
  const existing = render(['--set', 'sandbox.createNamespace=false']);
  expect([...find(existing, 'Namespace'), ...find(existing, 'NetworkPolicy')]).toEqual([]);
});

test('the default Runtimes are the standard ones of deploy/runtimes/', () => {
  const dir = join(ROOT, 'deploy/runtimes');
  const standard = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Manifest);
  const rendered = find(render(), 'Runtime');
  const byName = (list: Manifest[]) => Object.fromEntries(list.map((r) => [r.metadata.name, r.spec]));
  expect(byName(rendered)).toEqual(byName(standard));
});

interface WebhookConfiguration {
  metadata: { name: string; annotations?: Record<string, string> };
  webhooks: { name: string; failurePolicy: string; clientConfig: { service: { name: string; namespace: string; path: string }; caBundle?: string }; rules: { operations: string[]; resources: string[] }[] }[];
}

test('the webhook: a Service on the webhook port, CodeRun creation Fail and Runtimes Ignore, the operator keeping the certificate', () => {
  const manifests = render();
  const configuration = one(manifests, 'ValidatingWebhookConfiguration') as unknown as WebhookConfiguration;
  expect(configuration.webhooks.map((w) => [w.name, w.failurePolicy, w.clientConfig.service.path, w.rules[0]!.operations, w.rules[0]!.resources])).toEqual([
    ['coderuns.coderun.dev', 'Fail', '/validate/coderuns', ['CREATE'], ['coderuns']],
    ['runtimes.coderun.dev', 'Ignore', '/validate/runtimes', ['CREATE', 'UPDATE'], ['runtimes']],
  ]);
  // The operator owns the caBundle: the chart leaves it out, so an upgrade does not reset it.
  expect(configuration.webhooks.every((w) => w.clientConfig.caBundle === undefined)).toBe(true);
  const service = one(manifests, 'Service', 'coderun-webhook');
  expect(configuration.webhooks.every((w) => w.clientConfig.service.name === service.metadata.name && w.clientConfig.service.namespace === NAMESPACE)).toBe(true);
  expect(service.spec).toMatchObject({ ports: [{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }] });
  const config = loadConfig(envOf(operatorContainer(manifests)));
  expect(config.webhook).toEqual({
    port: 9443,
    serviceNamespace: NAMESPACE,
    serviceName: 'coderun-webhook',
    secretName: 'coderun-webhook-tls',
    configurationName: configuration.metadata.name,
    manageCertificates: true,
  });
  expect(find(manifests, 'Certificate')).toEqual([]);
});

test('with certManager.enabled: a Certificate for the Service from a self-signed Issuer, the CA injected, the operator only reading', () => {
  const manifests = render(['--set', 'webhook.certManager.enabled=true']);
  const configuration = one(manifests, 'ValidatingWebhookConfiguration') as unknown as WebhookConfiguration;
  expect(configuration.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': `${NAMESPACE}/coderun-webhook` });
  expect(one(manifests, 'Certificate').spec).toEqual({
    secretName: 'coderun-webhook-tls',
    dnsNames: [`coderun-webhook.${NAMESPACE}.svc`, `coderun-webhook.${NAMESPACE}.svc.cluster.local`],
    issuerRef: { name: 'coderun-webhook', kind: 'Issuer' },
  });
  expect(one(manifests, 'Issuer').spec).toEqual({ selfSigned: {} });
  expect(loadConfig(envOf(operatorContainer(manifests))).webhook?.manageCertificates).toBe(false);
  const withIssuer = render(['--set', 'webhook.certManager.enabled=true', '--set', 'webhook.certManager.issuerRef.name=campus-ca', '--set', 'webhook.certManager.issuerRef.kind=ClusterIssuer']);
  expect(one(withIssuer, 'Certificate').spec).toMatchObject({ issuerRef: { name: 'campus-ca', kind: 'ClusterIssuer' } });
  expect(find(withIssuer, 'Issuer')).toEqual([]);
});

test('webhook.enabled=false: no webhook objects, and the operator serves none', () => {
  const manifests = render(['--set', 'webhook.enabled=false']);
  expect(find(manifests, 'ValidatingWebhookConfiguration')).toEqual([]);
  expect(find(manifests, 'Service').map((s) => s.metadata.name)).toEqual(['coderun-operator-metrics']);
  expect(loadConfig(envOf(operatorContainer(manifests))).webhook).toBeUndefined();
});

test('extraEnv reaches the operator container', () => {
  const env = envOf(operatorContainer(render(['--set', 'extraEnv.CODERUN_MAX_ATTEMPTS_TEST=7'])));
  expect(env.CODERUN_MAX_ATTEMPTS_TEST).toBe('7');
  expect(() => render(['--set', 'extraEnv.lower-case=1'])).toThrow(/extraEnv/);
});
