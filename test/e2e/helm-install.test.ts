// The Helm chart on the live local cluster, with the locally built operator image: the API
// server accepts every rendered manifest, the operator pods pass Pod Security `restricted`, a
// `helm install` brings two Ready replicas, their ServiceAccount can do in the sandbox namespace
// what the operator does there (create a pod, exec into it by WebSocket, delete it) and holds
// exactly the rights in helm-operator-rights.yaml, and `helm uninstall` leaves nothing behind.
//
// The other e2e suites run the operator as a process holding the Lease
// coderun-system/coderun-operator. This release runs in a namespace of its own, so its Lease is
// its own, and the test holds that Lease itself: both replicas stand by (Ready, reconciling
// nothing), and never act on the runs and Runtimes of the other suites.
import { CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, V1MicroTime, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { execExitCode, PodExec } from '../../src/kube/pod-exec.js';
import { SandboxApi } from '../../src/kube/sandbox-api.js';
import { eventually } from '../support/eventually.js';
import { CHART, Helm, HELM_BUILD_TIMEOUT_MS, ROOT, type Manifest } from '../support/helm.js';
import { testKubeConfig } from '../support/kube-config.js';
import { installCrds } from '../support/installed-operator.js';
import { ClusterTestNamespace, isRunning, localContainer, TESTBOX_IMAGE } from './cluster-support.js';

const KUBECTL = join(ROOT, '.cluster/bin/kubectl');
/** Fixed in src/operator.ts. */
const LEASE = 'coderun-operator';
const TEST_HOLDER = 'helm-install-e2e';
const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function kubectl(args: string[], input?: string): string {
  try {
    return execFileSync(KUBECTL, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000, env: process.env });
  } catch (err) {
    throw new Error(`kubectl ${args.join(' ')} failed:\n${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

/** kubectl that may fail: its exit status and both outputs. */
function kubectlResult(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(KUBECTL, args, { encoding: 'utf8', input, timeout: 60_000, env: process.env });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `kubectl auth can-i --list` as rows "RESOURCE NON-RESOURCE-URLS RESOURCE-NAMES VERBS". */
function canIList(user: string, namespace: string): string[] {
  const [, ...rows] = kubectl(['auth', 'can-i', '--list', '--as', user, '--namespace', namespace]).split('\n');
  return rows.map((row) => row.trim().replace(/\s{2,}/g, ' ')).filter((row) => row !== '');
}

/** The pod templates of the workloads among `manifests`: the pods the chart makes. */
function podTemplates(manifests: Manifest[]): { owner: string; template: V1PodTemplateSpec }[] {
  return manifests.flatMap((m) => {
    const spec = m.spec as { template?: V1PodTemplateSpec; jobTemplate?: { spec: { template: V1PodTemplateSpec } } } | undefined;
    const template = m.kind === 'CronJob' ? spec?.jobTemplate?.spec.template : spec?.template;
    return template === undefined ? [] : [{ owner: `${m.kind}/${m.metadata.name}`, template }];
  });
}

describe('the Helm chart on the local cluster', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const releaseNamespace = new ClusterTestNamespace(kc, 'coderun-e2e');
  const release = releaseNamespace.name;
  const operator = `${release}-operator`;
  const sandboxNamespace = `${release}-sandbox`;
  const standardRuntimes = Object.keys((parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { runtimes: Record<string, unknown> }).runtimes);
  // The standard Runtimes exist on this cluster already (deploy/runtimes, used by the other
  // suites): Helm would refuse to take them over, and its uninstall would delete them. This
  // release installs one of its own instead, so that its Runtime template is installed too.
  const testRuntime = `${release}-python3`;
  const values = [
    ...['--set', `sandbox.namespace=${sandboxNamespace}`, '--set', 'image.pullPolicy=Never', '--set', 'sandbox.imagePullPolicy=Never'],
    ...standardRuntimes.flatMap((name) => ['--set', `runtimes.${name}.enabled=false`]),
    ...['--set', `runtimes.${testRuntime}.enabled=true`, '--set-json', `runtimes.${testRuntime}.spec=${JSON.stringify(parse(readFileSync(join(ROOT, 'deploy/runtimes/python3.yaml'), 'utf8')).spec)}`],
  ];
  let helm: Helm;
  let installed = false;

  beforeAll(async () => {
    helm = Helm.build();
    execFileSync('bash', [join(ROOT, 'hack/images/build-operator-image.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    await installCrds(kc);
    await releaseNamespace.create();
    // The operator pods are admitted (or refused) as in any restricted namespace.
    await core.patchNamespace({ name: release, body: { metadata: { labels: RESTRICTED } } }, mergePatch);
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (installed) helm.run(['uninstall', release, '--namespace', release, '--ignore-not-found', '--wait', '--timeout', '2m'], 150_000);
    await releaseNamespace.delete(120_000);
    helm?.dispose();
  }, 300_000);

  test('the API server accepts every manifest the chart renders, its CRDs and standard Runtimes included (apply --dry-run=server)', async () => {
    // The sandbox namespace must exist for the objects in it to be checked; this one stands in for it.
    const dry = new ClusterTestNamespace(kc, `${release}-dry`);
    await dry.create();
    try {
      const rendered = helm.run(['template', release, CHART, '--namespace', release, '--include-crds', '--set', `sandbox.namespace=${dry.name}`]);
      const out = kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], rendered);
      for (const kind of ['customresourcedefinition', 'namespace', 'networkpolicy', 'serviceaccount', 'clusterrole', 'clusterrolebinding', 'role', 'rolebinding', 'service', 'deployment', 'poddisruptionbudget', 'validatingwebhookconfiguration', 'runtime']) {
        expect(out).toMatch(new RegExp(`^${kind}[./]`, 'm'));
      }
    } finally {
      await dry.delete();
    }
  }, 120_000);

  test('helm install: the two operator replicas become Ready and stand by (the Lease stays with its holder)', async () => {
    const now = new V1MicroTime();
    await coordination.createNamespacedLease({
      namespace: release,
      body: { metadata: { name: LEASE }, spec: { holderIdentity: TEST_HOLDER, leaseDurationSeconds: 3600, acquireTime: now, renewTime: now } },
    });
    try {
      // --skip-crds: the CRDs are the suites' (installCrds applied deploy/crds, equal to the
      // chart's crds/ by src/crds/crd-directories.test.ts); Helm 4 would server-side apply them
      // again, as a second field manager.
      helm.run(['install', release, CHART, '--namespace', release, '--skip-crds', ...values, '--wait', '--timeout', '3m'], 200_000);
    } catch (err) {
      throw new Error(`${String(err)}\n${kubectl(['get', 'pods,replicasets,events', '--namespace', release, '-o', 'wide'])}`);
    } finally {
      // A failed install may have left a release too: afterAll uninstalls it.
      installed = true;
    }
    const pods = await core.listNamespacedPod({ namespace: release, labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator` });
    expect(pods.items.map((p) => [p.spec?.containers[0]?.image, p.status?.conditions?.find((c) => c.type === 'Ready')?.status])).toEqual([
      ['coderun.local/operator:dev', 'True'],
      ['coderun.local/operator:dev', 'True'],
    ]);
    const lease = await coordination.readNamespacedLease({ namespace: release, name: LEASE });
    expect(lease.spec?.holderIdentity).toBe(TEST_HOLDER);
    // Each replica reached the API server with its ServiceAccount and read the Lease (its Role).
    for (const pod of pods.items) {
      const name = pod.metadata!.name!;
      let log = '';
      await eventually(
        `operator pod ${name} to log the Lease's holder`,
        async () => {
          log = await core.readNamespacedPodLog({ namespace: release, name });
          return log.includes(`"leader":"${TEST_HOLDER}"`);
        },
        30_000,
        { intervalMs: 500, detail: () => `; its log:\n${log}` },
      );
    }
    const sandbox = await core.readNamespace({ name: sandboxNamespace });
    expect(sandbox.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  }, 240_000);

  test('the webhook: every replica serves it with the certificate the operator issued, and the caBundle trusts its CA', async () => {
    const name = `${release}-webhook`;
    let caBundle = '';
    await eventually(
      `the caBundle of ${name} to be set`,
      () => {
        caBundle = kubectl(['get', 'validatingwebhookconfiguration', name, '-o', 'jsonpath={.webhooks[*].clientConfig.caBundle}']).trim();
        return caBundle !== '';
      },
      60_000,
      { intervalMs: 500 },
    );
    const secret = await core.readNamespacedSecret({ namespace: release, name: `${name}-tls` });
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    // Deleted with its webhook configuration (helm uninstall), by the garbage collector.
    expect(secret.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual([`ValidatingWebhookConfiguration/${name}`]);
    for (const bundle of caBundle.split(' ')) expect(bundle).toBe(secret.data?.['ca-bundle.crt']);
    const serving = new X509Certificate(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64'));
    expect(serving.checkHost(`${name}.${release}.svc`)).toBe(`${name}.${release}.svc`);
    expect(serving.verify(new X509Certificate(Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64')).publicKey)).toBe(true);
  }, 90_000);

  describe('admission of CodeRuns', () => {
    const course = new ClusterTestNamespace(kc, 'course');
    const student = 'student-1';
    const asStudent = (args: string[], input?: string) => kubectlResult([...args, '--as', student, '--namespace', course.name], input);
    const coderun = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({ apiVersion: 'coderun.dev/v1alpha1', kind: 'CodeRun', metadata: { name }, spec: { runtime: testRuntime, ...spec } });

    beforeAll(async () => {
      await course.create();
      const rbac = [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'submitter' }, rules: [{ apiGroups: ['coderun.dev'], resources: ['coderuns'], verbs: ['create', 'get'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'submitter' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'submitter' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: student }],
        },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'grader-key' }, stringData: { key: 'the grader key' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hidden-tests' }, data: { expected: 'the hidden answer' } },
      ];
      kubectl(['apply', '--namespace', course.name, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    }, 60_000);
    afterAll(() => course.delete(120_000), 150_000);

    test('the student may create CodeRuns but not read the Secret', () => {
      expect(asStudent(['auth', 'can-i', 'create', 'coderuns.coderun.dev']).stdout.trim()).toBe('yes');
      expect(asStudent(['auth', 'can-i', 'get', 'secrets']).stdout.trim()).toBe('no');
      expect(asStudent(['auth', 'can-i', 'get', 'configmaps']).stdout.trim()).toBe('no');
    });

    test.each<[string, Record<string, unknown>, string]>([
      [
        'a test reading a Secret the student may not read',
        { source: { inline: 'print(input())' }, tests: [{ name: 'leak', stdinFrom: { secretKeyRef: { name: 'grader-key', key: 'key' } } }] },
        'spec.tests[0].stdinFrom.secretKeyRef: user "student-1" may not get secrets "grader-key" in namespace',
      ],
      [
        'a source from a ConfigMap the student may not read',
        { source: { configMapKeyRef: { name: 'hidden-tests', key: 'expected' } } },
        'spec.source.configMapKeyRef: user "student-1" may not get configmaps "hidden-tests" in namespace',
      ],
      [
        "a checker whose source is the Secret",
        { source: { inline: 'print(1)' }, tests: [{ name: 't', stdin: '' }], checker: { runtime: testRuntime, source: { secretKeyRef: { name: 'grader-key', key: 'key' } } } },
        'spec.checker.source.secretKeyRef: user "student-1" may not get secrets "grader-key" in namespace',
      ],
      [
        'an interactor whose source is the Secret',
        { source: { inline: 'print(1)' }, tests: [{ name: 't', stdin: '' }], interactor: { runtime: testRuntime, source: { secretKeyRef: { name: 'grader-key', key: 'key' } } } },
        'spec.interactor.source.secretKeyRef: user "student-1" may not get secrets "grader-key" in namespace',
      ],
      ['an unknown Runtime', { runtime: 'cobol', source: { inline: 'x' } }, 'spec.runtime: there is no Runtime named "cobol"'],
      ['a limit above the Runtime maximum', { source: { inline: 'x' }, limits: { memoryMiB: 4096 } }, 'spec.limits.memoryMiB 4096 exceeds the Runtime'],
    ])('refused at admission with the reason in the kubectl error: %s', (_name, spec, message) => {
      const result = asStudent(['create', '-f', '-'], coderun('refused', spec));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('admission webhook "coderuns.coderun.dev" denied the request');
      expect(result.stderr).toContain(message);
      // Nothing was stored.
      expect(kubectlResult(['get', 'coderun', 'refused', '--namespace', course.name]).stderr).toContain('NotFound');
    });

    test('an inline CodeRun of the student is admitted', () => {
      const result = asStudent(['create', '-f', '-'], coderun('inline', { source: { inline: 'print(1)' } }));
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('coderun.coderun.dev/inline created');
    });

    test('with no replica serving the webhook, creation fails with the API server error and nothing is stored (failurePolicy Fail)', async () => {
      kubectl(['scale', 'deployment', operator, '--namespace', release, '--replicas', '0']);
      try {
        await eventually('no operator pod', async () => (await core.listNamespacedPod({ namespace: release, labelSelector: `app.kubernetes.io/component=operator` })).items.length === 0, 90_000, { intervalMs: 500 });
        const result = kubectlResult(['create', '--namespace', course.name, '-f', '-'], coderun('unchecked', { source: { inline: 'print(1)' } }));
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain('failed calling webhook "coderuns.coderun.dev"');
        expect(kubectlResult(['get', 'coderun', 'unchecked', '--namespace', course.name]).stderr).toContain('NotFound');
      } finally {
        kubectl(['scale', 'deployment', operator, '--namespace', release, '--replicas', '2']);
        kubectl(['rollout', 'status', 'deployment', operator, '--namespace', release, '--timeout', '120s']);
      }
    }, 240_000);
  });

  test('every pod the chart makes is admitted under Pod Security restricted (pods created with dryRun)', async () => {
    const templates = podTemplates(helm.template(release, release, values));
    expect(templates.map((t) => t.owner).sort()).toEqual([`Deployment/${operator}`, `Job/${operator}-uninstall`]);
    for (const { owner, template } of templates) {
      const name = `psa-check-${owner.split('/')[1]}`.slice(0, 63);
      // The restricted namespace refuses a pod that is not locked down with a 403 naming each violation.
      await core.createNamespacedPod({ namespace: release, dryRun: 'All', body: { metadata: { name }, spec: template.spec! } });
    }
  }, 60_000);

  test("with its ServiceAccount's token, a sandbox pod is created, exec'd into as the operator does (WebSocket) and deleted", async () => {
    const { status } = await core.createNamespacedServiceAccountToken({ namespace: release, name: operator, body: { spec: { expirationSeconds: 600 } } });
    const cluster = kc.getCurrentCluster()!;
    const asOperator = new KubeConfig();
    asOperator.loadFromOptions({
      clusters: [cluster],
      users: [{ name: operator, token: status!.token }],
      contexts: [{ name: operator, cluster: cluster.name, user: operator }],
      currentContext: operator,
    });
    const sandbox = new SandboxApi(asOperator, sandboxNamespace);
    const pod = 'exec-check';
    await sandbox.createPod({
      metadata: { name: pod, labels: { 'coderun.dev/e2e': 'helm' } },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            ...localContainer(TESTBOX_IMAGE, ['sleep', '300']),
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
          },
        ],
      },
    });
    await eventually(`pod ${pod} to run`, async () => isRunning((await sandbox.readPod(pod)) ?? {}), 60_000, { intervalMs: 200 });
    const result = await new PodExec(asOperator).run({ namespace: sandboxNamespace, pod, container: 'main', command: ['cat'], stdin: Buffer.from('job'), timeoutMs: 20_000 });
    expect([execExitCode(result.status), result.stdout.toString()]).toEqual([0, 'job']);
    await sandbox.deleteAll('coderun.dev/e2e=helm');
  }, 90_000);

  test("the operator's ServiceAccount holds exactly the rights listed in helm-operator-rights.yaml", () => {
    // RELEASE stands for the release's name, which names the webhook's objects.
    const listed = readFileSync(join(import.meta.dirname, 'helm-operator-rights.yaml'), 'utf8').replaceAll('RELEASE', release);
    const expected = parse(listed) as Record<string, string[]>;
    // Beyond what every ServiceAccount may do (the namespace's default one), in a namespace of
    // judges, the release's namespace and the sandbox namespace.
    const granted = (namespace: string) => {
      const baseline = new Set(canIList(`system:serviceaccount:${release}:default`, namespace));
      return canIList(`system:serviceaccount:${release}:${operator}`, namespace)
        .filter((row) => !baseline.has(row))
        .sort();
    };
    expect({ anyNamespace: granted('default'), operatorNamespace: granted(release), sandboxNamespace: granted(sandboxNamespace) }).toEqual(expected);
  }, 60_000);

  test('helm uninstall removes everything the release made', async () => {
    helm.run(['uninstall', release, '--namespace', release, '--wait', '--cascade', 'foreground', '--timeout', '2m'], 150_000);
    installed = false;
    const types = kubectl(['api-resources', '--verbs=list', '-o', 'name']).split('\n').filter((t) => t !== '');
    let left = '';
    await eventually(
      `no object labelled app.kubernetes.io/instance=${release}`,
      () => {
        left = kubectl(['get', types.join(','), '--all-namespaces', '--selector', `app.kubernetes.io/instance=${release}`, '-o', 'name']).trim();
        return left === '';
      },
      60_000,
      { intervalMs: 1000, detail: () => `; left:\n${left}` },
    );
    // Helm's own record of the release, and the cluster-wide objects by name.
    expect((await core.listNamespacedSecret({ namespace: release, labelSelector: `owner=helm,name=${release}` })).items).toEqual([]);
    const named = [`namespace/${sandboxNamespace}`, `clusterrole/${operator}`, `clusterrolebinding/${operator}`, `runtime/${testRuntime}`, `validatingwebhookconfiguration/${release}-webhook`];
    expect(kubectl(['get', ...named, '--ignore-not-found', '-o', 'name']).trim()).toBe('');
    // The Secret the operator issued goes with the webhook configuration it is owned by.
    await eventually(`the Secret ${release}-webhook-tls to be deleted`, async () => (await core.listNamespacedSecret({ namespace: release, fieldSelector: `metadata.name=${release}-webhook-tls` })).items.length === 0, 60_000, { intervalMs: 1000 });
  }, 240_000);
});
