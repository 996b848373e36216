// A fake API edge for the CodeRun reconciler's scenario tests (reconciler.test.ts): CodeRuns and
// sandbox pods as the API server holds them (resourceVersion-guarded writes, 409 on a stale one),
// caches that lag until synced, a kubelet that makes created pods Ready, and a runner that
// answers every job with its tests' expected output. Every write is recorded, so a test checks
// the actions taken, as sample-controller's controller_test.go does.
import { ByteBudget } from '../../machinery/byte-budget.js';
import type { V1ConfigMap, V1Pod, V1Status } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { CodeRunSpec, CodeRunStatus } from '../../crds/coderun.js';
import type { ExecSession, ExecTarget } from '../../kube/pod-exec.js';
import type { ReferencedObjects } from '../../kube/reference-reader.js';
import { createDomainMetrics } from '../../observability/domain-metrics.js';
import { createRegistry } from '../../observability/registry.js';
import { LABELS } from '../../sandbox/names.js';
import { DEFAULT_SANDBOX_CONFIG } from '../../sandbox/pod.js';
import { PYTHON3 } from '../../sandbox/test-fixtures.js';
import type { WarmPool, WarmStart } from '../../sandbox/warm-pool.js';
import { releasedPodMetadata } from '../../sandbox/pool-labels.js';
import type { CodeRunReconcilerDeps } from './context.js';
import { decodeJobDocument } from './job-document.js';
import { FINALIZER, type ObservedRun } from './observed-run.js';
import { codeRunReconciler, newExecutions } from './reconciler.js';
import { DEFAULT_STATUS_CONFIG } from './status.js';
import { sweep } from './sweeps.js';

/** The standard python3 Runtime, its self-test passed (Ready for its generation). */
const READY_PYTHON3 = {
  metadata: { name: 'python3', generation: 1 },
  spec: PYTHON3,
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'SelfTestPassed', message: 'passed', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }] },
};

export const NAMESPACE = 'judge';
const SANDBOX = DEFAULT_SANDBOX_CONFIG.namespace;

/** The operator process was killed at this API call (the test's stand-in for SIGKILL). */
export class Killed extends Error {}

export type Write = 'setFinalizers' | 'patchStatus' | 'deleteRun' | 'createPod' | 'deleteAll' | 'claimPod' | 'deletePod' | 'releasePod';

export class FakeCluster {
  runs = new Map<string, ObservedRun>();
  pods = new Map<string, V1Pod>();
  configMaps = new Map<string, V1ConfigMap>();
  private runCache = new Map<string, ObservedRun>();
  private podCache = new Map<string, V1Pod>();
  /** Every write that reached the API, in order. */
  writes: Write[] = [];
  /** Statuses written with a terminal phase, per run key. */
  terminalWrites = new Map<string, number>();
  /** API reads of a pod the cache did not have. */
  podReads = 0;
  private version = 1;
  /** The write number (1-based) at which the process dies, before or after the write applies. */
  killAt: { write: number; applied: boolean } | undefined;
  /** Warm claims answered by this, instead of "no pool". */
  warm: (run: string) => WarmStart = () => ({ kind: 'cold' });
  /** Whether a warm run's pod goes back to its pool after a clean end (the pool's own decision); every request is noted. */
  releaseWarm: (podName: string) => boolean = () => false;
  readonly releases: string[] = [];
  /** The pods a job was sent to, once per exec. */
  readonly execs: string[] = [];

  constructor(readonly now: () => Date = () => new Date('2026-12-06T10:00:00Z')) {}

  private nextVersion(): string {
    return String(++this.version);
  }

  /** Counts the write and dies here when told to; `apply` changes the API's state. */
  private write<T>(kind: Write, apply: () => T): T {
    const n = this.writes.length + 1;
    if (this.killAt?.write === n && !this.killAt.applied) throw new Killed(`killed before write ${n} (${kind})`);
    this.writes.push(kind);
    const result = apply();
    if (this.killAt?.write === n) throw new Killed(`killed after write ${n} (${kind})`);
    return result;
  }

  submit(name: string, spec: CodeRunSpec): string {
    const uid = `uid-${name}`;
    this.runs.set(`${NAMESPACE}/${name}`, {
      apiVersion: 'coderun.dev/v1alpha1',
      kind: 'CodeRun',
      metadata: { name, namespace: NAMESPACE, uid, resourceVersion: this.nextVersion(), generation: 1, creationTimestamp: this.now().toISOString() },
      spec,
    });
    return `${NAMESPACE}/${name}`;
  }

  /** The watch events arrive: the caches show what the API holds; the kubelet starts new pods. */
  sync(): void {
    for (const pod of this.pods.values()) {
      if (pod.status === undefined) pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    }
    this.runCache = new Map([...this.runs].map(([k, v]) => [k, structuredClone(v)]));
    this.podCache = new Map([...this.pods].map(([k, v]) => [k, structuredClone(v)]));
  }

  /** The pod cache alone lags: the API has pods the cache has not seen. */
  forgetPodsInCache(): void {
    this.podCache.clear();
  }

  podsOf(key: string): V1Pod[] {
    const uid = this.runs.get(key)?.metadata.uid;
    return [...this.pods.values()].filter((p) => p.metadata?.labels?.[LABELS.runUid] === uid);
  }

  status(key: string): CodeRunStatus | undefined {
    return this.runs.get(key)?.status as CodeRunStatus | undefined;
  }

  private runAt(identity: { namespace: string; name: string; resourceVersion: string }): ObservedRun {
    const run = this.runs.get(`${identity.namespace}/${identity.name}`);
    if (run === undefined) throw Object.assign(new Error('not found'), { code: 404 });
    if (run.metadata.resourceVersion !== identity.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
    return run;
  }

  /** Pool pods: none here (the warm claim is answered by `warm`); Runtimes come from the cache. */
  readonly poolApi = {
    readRuntime: async () => undefined,
    listPods: async () => [],
    deletePod: async (name: string) => this.write('deletePod', () => void this.pods.delete(`${SANDBOX}/${name}`)),
  };

  /** The reconciler's edges, as operator.ts wires them, over this fake API. */
  deps(executions = newExecutions(() => {})): CodeRunReconcilerDeps {
    const logger = pino({ level: 'silent' });
    const warm: WarmPool = {
      claim: async (request) => this.warm(request.run.name),
      takeSession: () => undefined,
      release: async (request) => {
        this.releases.push(request.podName);
        const key = `${SANDBOX}/${request.podName}`;
        const pod = this.pods.get(key);
        if (pod === undefined || !this.releaseWarm(request.podName)) return false;
        // What the pool's release writes: a merge patch (null removes).
        const { labels, annotations } = releasedPodMetadata(1);
        const merge = (into: Record<string, string> | undefined, patch: Record<string, string | null>) =>
          Object.fromEntries(Object.entries({ ...into, ...patch }).filter((e): e is [string, string] => e[1] !== null));
        return this.write('releasePod', () => {
          this.pods.set(key, { ...pod, metadata: { ...pod.metadata, labels: merge(pod.metadata?.labels, labels), annotations: merge(pod.metadata?.annotations, annotations) } });
          return true;
        });
      },
    };
    const runner = (target: ExecTarget): ExecSession => ({
      pod: target.pod,
      open: true,
      send: async (stdin) => {
        const job = decodeJobDocument(stdin);
        const tests = job.tests.map((t) => ({
          name: t.name,
          exitCode: 0,
          signal: null,
          cpuTimeMillis: 5,
          wallTimeMillis: 9,
          memoryKiB: 8000,
          stdout: t.stdin,
          stdoutEncoding: 'utf8',
          stderr: '',
          stderrEncoding: 'utf8',
          stdoutTruncated: false,
          stderrTruncated: false,
          limitExceeded: null,
        }));
        const status: V1Status = { status: 'Success' };
        return { status, stdout: Buffer.from(JSON.stringify({ compile: null, tests, error: null })), stderr: Buffer.alloc(0) };
      },
      close: () => {},
      onClosed: () => {},
    });
    return {
      runs: { get: (key) => this.runCache.get(key) },
      runtimes: { get: (name) => (name === 'python3' ? READY_PYTHON3 : undefined) },
      pods: { get: (key) => this.podCache.get(key), list: () => [...this.podCache.values()] },
      codeRuns: {
        patchStatus: async (identity, status) =>
          this.write('patchStatus', () => {
            const run = this.runAt(identity);
            run.status = { ...run.status, ...status } as ObservedRun['status'];
            if (status.phase === 'Completed' || status.phase === 'Failed') {
              const key = `${identity.namespace}/${identity.name}`;
              this.terminalWrites.set(key, (this.terminalWrites.get(key) ?? 0) + 1);
            }
            return (run.metadata.resourceVersion = this.nextVersion());
          }),
        setFinalizers: async (identity, finalizers) =>
          this.write('setFinalizers', () => {
            const run = this.runAt(identity);
            run.metadata.finalizers = finalizers;
            return (run.metadata.resourceVersion = this.nextVersion());
          }),
        delete: async (meta) => this.write('deleteRun', () => void this.runs.delete(`${meta.namespace}/${meta.name}`)),
      },
      sandbox: {
        createPod: async (pod) =>
          this.write('createPod', () => {
            const key = `${SANDBOX}/${pod.metadata?.name}`;
            if (!this.pods.has(key)) this.pods.set(key, { ...structuredClone(pod), status: undefined, metadata: { ...pod.metadata, uid: `pod-${pod.metadata?.name}`, creationTimestamp: this.now() } });
          }),
        readPod: async (name) => {
          this.podReads++;
          return this.pods.get(`${SANDBOX}/${name}`);
        },
        deleteAll: async (selector) =>
          this.write('deleteAll', () => {
            const uid = /coderun\.dev\/run-uid=([^,]+)/.exec(selector)?.[1];
            for (const [key, pod] of this.pods) if (pod.metadata?.labels?.[LABELS.runUid] === uid) this.pods.delete(key);
          }),
        podWarnings: async () => [],
      },
      pool: this.poolApi,
      exec: {
        open: async (target) => {
          this.execs.push(target.pod);
          return runner(target);
        },
      },
      resultBudget: new ByteBudget(64 * 1024 * 1024),
      warm,
      executions,
      references: {
        read: async (): Promise<ReferencedObjects> => ({ configMap: (name) => this.configMaps.get(name), secret: () => undefined }),
      },
      events: { record: () => {} },
      metrics: createDomainMetrics(createRegistry({ processMetrics: false })),
      logger,
      sandboxConfig: DEFAULT_SANDBOX_CONFIG,
      statusConfig: DEFAULT_STATUS_CONFIG,
      plan: { referenceGraceMs: 10_000, podStartTimeoutMs: 120_000, runtimeReadyWaitMs: 60_000, maxAttempts: 3 },
      now: this.now,
    };
  }
}

/** One operator process: a reconciler with its own executions (they die with it). */
export class OperatorUnderTest {
  private ended = 0;
  readonly deps: CodeRunReconcilerDeps;
  readonly reconcile: ReturnType<typeof codeRunReconciler>;

  constructor(readonly cluster: FakeCluster) {
    this.deps = cluster.deps(newExecutions(() => this.ended++));
    this.reconcile = codeRunReconciler(this.deps);
  }

  /** What a new leader does before its controllers start. */
  async sweepAtStart(): Promise<void> {
    this.cluster.sync();
    await sweep({ runs: this.deps.runs, pods: this.deps.pods, sandbox: this.deps.sandbox, pool: this.cluster.poolApi, logger: this.deps.logger }, true);
  }

  /** Reconciles the key, the caches synced before each pass, until it settles (at most `passes`). */
  async settle(key: string, passes = 12): Promise<void> {
    for (let i = 0; i < passes; i++) {
      this.cluster.sync();
      await this.reconcile(key, { signal: new AbortController().signal });
      // Let ended executions land (they run outside the reconcile).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  get executionsEnded(): number {
    return this.ended;
  }
}

export const finalizerOf = (run: ObservedRun | undefined): boolean => (run?.metadata.finalizers ?? []).includes(FINALIZER);
