// The operator as end-to-end tests meet it: installed in the local cluster by the Helm chart
// (the release `coderun` in coderun-system, as `npm run up` installs it), from the locally built
// image, two replicas with leader election and the admission webhook. A suite's settings go in
// through `extraEnv` (a rolling update); when the e2e tier ends, globalTeardown puts the values of
// `npm run up` back (hack/stack/values-local.yaml).
//
// Tests stop it politely (the pods are deleted: SIGTERM, the leader releases its Lease) or
// brutally: kill() freezes every operator process (SIGSTOP through containerd, from the node),
// scales the Deployment to zero and SIGKILLs them, so that nothing runs a shutdown and the Lease
// stays with the dead leader until it expires.
import { ApiextensionsV1Api, AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { KubernetesObject } from '@kubernetes/client-node';
import { VERSION } from '../../src/crds/common.js';
import { eventually } from './eventually.js';
import { CHART, Helm, HelmFailed } from './helm.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KUBECTL = join(ROOT, '.cluster/bin/kubectl');
const CONTAINERD_SOCK = '/run/containerd/containerd.sock';
export const RELEASE = 'coderun';
export const RELEASE_NAMESPACE = 'coderun-system';
export const LOCAL_VALUES = join(ROOT, 'hack/stack/values-local.yaml');
/** Fixed in src/operator.ts. */
const LEASE = { namespace: RELEASE_NAMESPACE, name: 'coderun-operator' };
const OPERATOR_PODS = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`;
const FIELD_MANAGER = 'coderun-e2e';
const IMAGE = 'coderun.local/operator:dev';

function manifestsIn(dir: string): KubernetesObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubernetesObject))
    .filter((o) => o !== null);
}

/**
 * `kubectl apply --server-side --force-conflicts` of every manifest in `dir`, as a user installs
 * them. (Not through the client library: its serializer drops keys whose wire names differ from
 * its field names, `x-kubernetes-validations` and `enum` among them, so the CRDs would lose their
 * CEL rules.) Returns the names applied.
 */
function applyAll(kc: KubeConfig, dir: string): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'coderun-apply-'));
  try {
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    execFileSync(KUBECTL, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return manifestsIn(dir).map((o) => o.metadata?.name ?? '?');
}

/** The CRDs of deploy/crds, established and serving. */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const crds = applyAll(kc, join(ROOT, 'deploy/crds'));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const name of crds) {
    // API calls that fail while the CRD is being set up count as "not yet".
    const poll = { intervalMs: 100, ignoreErrors: true };
    await eventually(
      `CRD ${name} to be Established`,
      async () => (await ext.readCustomResourceDefinition({ name })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false,
      30_000,
      poll,
    );
    // Established is not yet serving: a new resource answers 429 "storage is (re)initializing"
    // for a moment. Wait until it lists.
    const [plural, ...group] = name.split('.');
    await eventually(
      `the ${name} API to serve`,
      async () => (await custom.listClusterCustomObject({ group: group.join('.'), version: VERSION, plural: plural ?? '', limit: 1 }), true),
      30_000,
      poll,
    );
  }
}

/** The CRDs and the standard Runtimes of deploy/runtimes: for a cluster without the chart (the API-only tier). */
export async function installCodeRunResources(kc: KubeConfig): Promise<void> {
  await installCrds(kc);
  applyAll(kc, join(ROOT, 'deploy/runtimes'));
}

let helm: Helm | undefined;
let imageDigest: string | undefined;

/** helm, built once per test process (cached across processes by hack/helm-bin). */
function helmCli(): Helm {
  return (helm ??= Helm.build());
}

/**
 * Builds coderun.local/operator:dev from the current sources (0.5 s when unchanged) and returns
 * its digest: the pods carry it as an annotation, so that a new build rolls them.
 */
function operatorImage(): string {
  if (imageDigest === undefined) {
    execFileSync('bash', [join(ROOT, 'hack/images/build-operator-image.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    const listed = execFileSync('ctr', ['--address', CONTAINERD_SOCK, '--namespace', 'k8s.io', 'images', 'ls', `name==${IMAGE}`], { encoding: 'utf8' });
    const digest = /sha256:[0-9a-f]{64}/.exec(listed)?.[0];
    if (digest === undefined) throw new Error(`containerd has no ${IMAGE}:\n${listed}`);
    imageDigest = digest;
  }
  return imageDigest;
}

/** `helm upgrade --install` of the release with the local values and `sets`, waiting for the rollout. */
export function upgradeRelease(sets: string[]): void {
  const digest = operatorImage();
  helmCli().run(
    [
      'upgrade', '--install', RELEASE, CHART, '--namespace', RELEASE_NAMESPACE, '--create-namespace',
      // The CRDs are applied by installCrds (the current ones, which Helm would not upgrade).
      '--skip-crds', '-f', LOCAL_VALUES,
      // kill() scales the Deployment by itself: take `replicas` back.
      '--force-conflicts',
      '--set-string', `podAnnotations.coderun\\.dev/image=${digest}`,
      ...sets,
      '--wait', '--timeout', '4m',
    ],
    300_000,
  );
}

const ReleaseStatusSchema = z.object({ info: z.object({ status: z.string() }) });

/**
 * The CRDs, and the release as `npm run up` installs it when it is not installed (or a test left
 * it half uninstalled: then it is removed without hooks first).
 */
export async function ensureInstalled(kc: KubeConfig): Promise<void> {
  await installCrds(kc);
  let status: string | undefined;
  try {
    status = ReleaseStatusSchema.parse(JSON.parse(helmCli().run(['status', RELEASE, '--namespace', RELEASE_NAMESPACE, '-o', 'json']))).info.status;
  } catch (err) {
    if (!(err instanceof HelmFailed && err.stderr.includes('not found'))) throw err;
  }
  if (status === 'deployed') return;
  if (status !== undefined) helmCli().run(['uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--no-hooks', '--wait', '--timeout', '3m'], 240_000);
  // As `npm run up` installs it: this adopts the Runtimes an earlier tier applied without Helm.
  execFileSync('bash', [join(ROOT, 'hack/stack/install.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
}

/**
 * Removes the release (its pre-delete hook included), for a suite that installs a release of its
 * own whose operator must be the only one reconciling; the next suite's ensureInstalled brings
 * it back.
 */
export function uninstallRelease(): void {
  helmCli().run(['uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--ignore-not-found', '--wait', '--timeout', '3m'], 240_000);
}


/** The operator variables the chart sets from `config.*` (deployment.yaml): set through those values. */
const CHART_CONFIG: Record<string, string> = {
  CODERUN_WORKERS: 'config.workers',
  CODERUN_STATUS_OUTPUT_BYTES: 'config.statusOutputBytes',
  CODERUN_REFERENCE_GRACE_SECONDS: 'config.referenceGraceSeconds',
  CODERUN_POD_START_TIMEOUT_SECONDS: 'config.podStartTimeoutSeconds',
  CODERUN_RUNTIME_READY_WAIT_SECONDS: 'config.runtimeReadyWaitSeconds',
  CODERUN_MAX_ATTEMPTS: 'config.maxAttempts',
  CODERUN_RESULT_BUDGET_MIB: 'config.resultBudgetMiB',
  CODERUN_WARM_WAIT_MS: 'config.warmWaitMs',
  CODERUN_POOL_MAX_STARTING: 'config.poolMaxStarting',
  CODERUN_PROFILING: 'config.profiling',
  LOG_LEVEL: 'config.logLevel',
};

/** helm flags for operator variables: chart values where the chart has one, extraEnv for the rest. */
function settingsOf(env: Record<string, string>): string[] {
  const extra: Record<string, string> = {};
  const sets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const key = CHART_CONFIG[name];
    if (key === undefined) extra[name] = value;
    else sets.push('--set-json', `${key}=${/^(\d+|true|false)$/.test(value) ? value : JSON.stringify(value)}`);
  }
  return [...sets, '--set-json', `extraEnv=${JSON.stringify(extra)}`];
}

export interface OperatorStartOptions {
  /** Names the suite in the operator's environment (CODERUN_E2E_SUITE, seen in `kubectl describe`). */
  label: string;
  /** Operator variables, e.g. CODERUN_WORKERS. */
  env?: Record<string, string>;
  /** More helm flags for the release, e.g. ['--set', 'webhook.enabled=false']. */
  sets?: string[];
  /** How long to wait for a leader with synced caches (default 120 s): after a kill the old leader's Lease must expire first. */
  leadTimeoutMs?: number;
}

const isCurrent = (pod: V1Pod) => pod.metadata?.deletionTimestamp === undefined;

/** The release's operator, with one suite's settings. Construct through start(). */
export class InstalledOperator {
  private readonly core: CoreV1Api;
  private failure: string | undefined;
  private monitor: NodeJS.Timeout | undefined;
  private readonly restarts = new Map<string, number>();
  /** Stopped, killed or released: this suite is done with the pods it started. */
  private ended = false;

  private constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /**
   * Installs or upgrades the release with the suite's settings and resolves once the rollout is
   * done and one of the new pods leads with synced caches.
   */
  static async start(kc: KubeConfig, options: OperatorStartOptions): Promise<InstalledOperator> {
    await ensureInstalled(kc);
    upgradeRelease([...settingsOf({ LOG_LEVEL: 'debug', CODERUN_E2E_SUITE: options.label, ...options.env }), ...(options.sets ?? [])]);
    const operator = new InstalledOperator(kc);
    await operator.waitUntilLeading(options.leadTimeoutMs ?? 120_000);
    operator.watchForCrashes();
    return operator;
  }

  private async pods(): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: OPERATOR_PODS })).items.filter(isCurrent);
  }

  private async leaderPod(): Promise<V1Pod | undefined> {
    const lease = await this.kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE);
    const holder = lease.spec?.holderIdentity ?? '';
    return (await this.pods()).find((p) => p.metadata?.name === holder);
  }

  private async waitUntilLeading(timeoutMs: number): Promise<void> {
    let seen = '';
    await eventually(
      `an operator pod of ${RELEASE_NAMESPACE}/${RELEASE} to lead with synced caches (Lease ${LEASE.namespace}/${LEASE.name})`,
      async () => {
        const leader = await this.leaderPod();
        if (leader === undefined) {
          const lease = await this.kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE).catch(() => undefined);
          seen = `the Lease is held by "${lease?.spec?.holderIdentity ?? ''}", not by a current pod`;
          return false;
        }
        const log = await this.core.readNamespacedPodLog({ namespace: RELEASE_NAMESPACE, name: leader.metadata!.name! });
        seen = `${leader.metadata!.name} leads; its log ends:\n${log.split('\n').slice(-10).join('\n')}`;
        return log.includes('caches synced; reconciling');
      },
      timeoutMs,
      { intervalMs: 500, ignoreErrors: true, detail: () => `; ${seen}` },
    );
  }

  /** Notes every operator pod's restarts from now on: a crash fails the suite at its next check. */
  private watchForCrashes(): void {
    const check = async () => {
      for (const pod of await this.pods()) {
        const name = pod.metadata!.name!;
        const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
        const before = this.restarts.get(name);
        if (before === undefined) this.restarts.set(name, restarts);
        else if (restarts > before && this.failure === undefined) {
          const log = await this.core.readNamespacedPodLog({ namespace: RELEASE_NAMESPACE, name, previous: true }).catch(() => '');
          const ended = pod.status?.containerStatuses?.[0]?.lastState?.terminated;
          const how = ended ? `${ended.reason ?? 'terminated'}, exit code ${ended.exitCode}` : 'unknown cause';
          this.failure = `the operator pod ${name} restarted (${restarts}: ${how}); its previous log ends:\n${log.split('\n').slice(-15).join('\n')}`;
        }
      }
    };
    this.monitor = setInterval(() => void check().catch(() => undefined), 2000);
  }

  private stopWatching(): void {
    clearInterval(this.monitor);
    this.monitor = undefined;
  }

  /** Throws when an operator pod crashed since start(): a wait on runs fails at once. */
  assertRunning(): void {
    if (this.failure !== undefined) throw new Error(this.failure);
  }

  /** GET `path` of the leader's metrics port (from the node, by pod IP). */
  private async leaderGet(path: string): Promise<string> {
    const leader = await this.leaderPod();
    const ip = leader?.status?.podIP;
    if (ip === undefined) throw new Error('no leading operator pod with an IP');
    const res = await fetch(`http://${ip}:8080${path}`);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return res.text();
  }

  /** The Prometheus text of the leader's /metrics. */
  metrics(): Promise<string> {
    return this.leaderGet('/metrics');
  }

  /** A CPU profile of the leader over the next `seconds` (.cpuprofile JSON); needs CODERUN_PROFILING. */
  cpuProfile(seconds: number): Promise<string> {
    return this.leaderGet(`/debug/cpu-profile?seconds=${seconds}`);
  }

  /** The logs of the current operator pods, one after the other. */
  async logText(): Promise<string> {
    const logs = await Promise.all((await this.pods()).map((p) => this.core.readNamespacedPodLog({ namespace: RELEASE_NAMESPACE, name: p.metadata!.name! })));
    return logs.join('\n');
  }

  /** The suite is done: no more crash checks; the operator keeps running for the next suite. */
  release(): Promise<void> {
    this.ended = true;
    this.stopWatching();
    return Promise.resolve();
  }

  /** Scales the operator to zero the polite way (SIGTERM: the leader releases the Lease) and waits until its pods are gone. */
  async stop(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopWatching();
    upgradeRelease(['--set', 'replicas=0']);
    await this.waitForNoPods();
  }

  /**
   * Every operator process dies mid-work: frozen first (SIGSTOP, so that no shutdown runs), the
   * Deployment scaled to zero (so that nothing restarts them), then SIGKILL. The Lease stays
   * with the dead leader until it expires.
   */
  async kill(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopWatching();
    const pids = (await this.pods()).map((pod) => containerPid(pod));
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await this.kc.makeApiClient(AppsV1Api).patchNamespacedDeploymentScale(
        { namespace: RELEASE_NAMESPACE, name: `${RELEASE}-operator`, body: { spec: { replicas: 0 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    }
    await this.waitForNoPods();
  }

  private async waitForNoPods(): Promise<void> {
    await eventually('no operator pod left', async () => (await this.core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: OPERATOR_PODS })).items.length === 0, 120_000, {
      intervalMs: 500,
    });
  }
}

/** The node's pid of the operator container's process (containerd's task, from the node). */
function containerPid(pod: V1Pod): number {
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`pod ${pod.metadata?.name} has no running container`);
  const out = execFileSync('ctr', ['--address', CONTAINERD_SOCK, '--namespace', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' });
  const row = out.split('\n').find((line) => line.startsWith(id));
  const pid = Number(row?.trim().split(/\s+/)[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no containerd task for ${pod.metadata?.name} (${id}):\n${out}`);
  return pid;
}

/** Sums the samples of a counter in Prometheus text whose labels contain every `labels` pair. */
export function counterSum(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const text = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
