// What an end-to-end test does with CodeRuns, as a judge backend would: submit them through the
// API, watch their status until it is terminal, and look at what the operator left behind in the
// sandbox namespace. Statuses are parsed with the CRD's own zod schema.
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type CoreV1Event, type KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { CodeRunStatusSchema, type CodeRunSpec, type CodeRunStatus } from '../../src/crds/coderun.js';
import { GROUP, VERSION } from '../../src/crds/common.js';
import { FINALIZER } from '../../src/controllers/coderun/observed-run.js';
import { LABELS } from '../../src/sandbox/names.js';
import { eventually } from './eventually.js';

export const SANDBOX_NAMESPACE = 'coderun-sandbox';
const PLURAL = 'coderuns';
const api = { group: GROUP, version: VERSION, plural: PLURAL };

/** A CodeRun as read back: the metadata a test needs and the parsed status. */
export interface ObservedCodeRun {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  finalizers: string[];
  status: CodeRunStatus;
}

const RawCodeRunSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    uid: z.string(),
    resourceVersion: z.string(),
    creationTimestamp: z.string(),
    finalizers: z.array(z.string()).optional(),
  }),
  status: z.unknown().optional(),
});
const ListSchema = z.looseObject({ items: z.array(z.unknown()) });

function observed(raw: unknown): ObservedCodeRun {
  const run = RawCodeRunSchema.parse(raw);
  const status = CodeRunStatusSchema.safeParse(run.status ?? {});
  if (!status.success) throw new Error(`CodeRun ${run.metadata.name} has a status the CRD schema rejects: ${z.prettifyError(status.error)}`);
  return {
    name: run.metadata.name,
    uid: run.metadata.uid,
    resourceVersion: run.metadata.resourceVersion,
    creationTimestamp: run.metadata.creationTimestamp,
    finalizers: run.metadata.finalizers ?? [],
    status: status.data,
  };
}

export function isTerminal(status: CodeRunStatus): boolean {
  return status.phase === 'Completed' || status.phase === 'Failed';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One namespace per test file; CodeRuns in it, and a clean up that waits for it to be gone. */
export class CodeRunTestNamespace {
  readonly name: string;
  private readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    prefix: string,
  ) {
    this.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async create(): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name: this.name, labels: { 'coderun.dev/e2e': 'true' } } } });
  }

  /** Creates a CodeRun; the spec is typed by the CRD schema so a test cannot submit a misspelt field. */
  async submit(name: string, spec: CodeRunSpec | Record<string, unknown>): Promise<ObservedCodeRun> {
    const created = await this.custom.createNamespacedCustomObject({
      ...api,
      namespace: this.name,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'CodeRun', metadata: { name }, spec },
    });
    return observed(created);
  }

  async get(name: string): Promise<ObservedCodeRun | undefined> {
    try {
      return observed(await this.custom.getNamespacedCustomObject({ ...api, namespace: this.name, name }));
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  async list(): Promise<ObservedCodeRun[]> {
    const list = ListSchema.parse(await this.custom.listNamespacedCustomObject({ ...api, namespace: this.name }));
    return list.items.map(observed);
  }

  async delete(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...api, namespace: this.name, name });
  }

  /**
   * Polls (one list per round, however many runs) until every named run is terminal; resolves
   * each run as first seen terminal. `onRound` sees every round's list (e.g. to record changes);
   * it may throw to end the wait (e.g. when the operator died).
   */
  async waitForTerminal(names: string[], timeoutMs: number, onRound?: (runs: ObservedCodeRun[]) => void): Promise<Map<string, ObservedCodeRun>> {
    const done = new Map<string, ObservedCodeRun>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runs = await this.list();
      onRound?.(runs);
      for (const run of runs) if (names.includes(run.name) && !done.has(run.name) && isTerminal(run.status)) done.set(run.name, run);
      if (done.size === names.length) return done;
      if (Date.now() > deadline) {
        const open = names
          .filter((n) => !done.has(n))
          .map((n) => `${n}: ${runs.find((r) => r.name === n)?.status.phase ?? 'not found'}`)
          .join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for terminal CodeRuns in ${this.name}; still open: ${open}`);
      }
      await sleep(500);
    }
  }

  async waitForOne(name: string, timeoutMs: number): Promise<ObservedCodeRun> {
    const run = (await this.waitForTerminal([name], timeoutMs)).get(name);
    if (!run) throw new Error(`CodeRun ${name} vanished`);
    return run;
  }

  /** Polls until `check` holds for the run; returns the run then. */
  async waitForRun(name: string, what: string, check: (run: ObservedCodeRun) => boolean, timeoutMs: number): Promise<ObservedCodeRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.get(name);
      if (run && check(run)) return run;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for CodeRun ${name}: ${what}; last status ${JSON.stringify(run?.status)}`);
      await sleep(250);
    }
  }

  /** The Events on one CodeRun, as `kubectl describe coderun` shows them. */
  async eventsOf(name: string): Promise<CoreV1Event[]> {
    const events = await this.core.listNamespacedEvent({ namespace: this.name, fieldSelector: `involvedObject.name=${name},involvedObject.kind=CodeRun` });
    return events.items;
  }

  /** Sandbox pods and ConfigMaps of this namespace's runs (the operator labels them with it). */
  async sandboxObjects(): Promise<{ pods: V1Pod[]; configMaps: V1ConfigMap[] }> {
    const labelSelector = `${LABELS.runNamespace}=${this.name}`;
    const [pods, configMaps] = await Promise.all([
      this.core.listNamespacedPod({ namespace: SANDBOX_NAMESPACE, labelSelector }),
      this.core.listNamespacedConfigMap({ namespace: SANDBOX_NAMESPACE, labelSelector }),
    ]);
    return { pods: pods.items, configMaps: configMaps.items };
  }

  /** Sandbox pods and ConfigMaps of one run, by its UID. */
  async sandboxObjectsOfRun(uid: string): Promise<{ pods: V1Pod[]; configMaps: V1ConfigMap[] }> {
    const labelSelector = `${LABELS.runUid}=${uid}`;
    const [pods, configMaps] = await Promise.all([
      this.core.listNamespacedPod({ namespace: SANDBOX_NAMESPACE, labelSelector }),
      this.core.listNamespacedConfigMap({ namespace: SANDBOX_NAMESPACE, labelSelector }),
    ]);
    return { pods: pods.items, configMaps: configMaps.items };
  }

  /** Waits until no sandbox pod or ConfigMap of this namespace's runs is left (deletes follow each terminal status). */
  async expectNoSandboxObjectsLeft(timeoutMs = 30_000): Promise<void> {
    let left: { pods: V1Pod[]; configMaps: V1ConfigMap[] } = { pods: [], configMaps: [] };
    await eventually(`no sandbox pod or ConfigMap of namespace ${this.name}`, async () => {
      left = await this.sandboxObjects();
      return left.pods.length === 0 && left.configMaps.length === 0;
    }, timeoutMs).catch((err: unknown) => {
      const names = [...left.pods.map((p) => `pod/${p.metadata?.name ?? '?'}`), ...left.configMaps.map((c) => `configmap/${c.metadata?.name ?? '?'}`)];
      throw new Error(`${err instanceof Error ? err.message : String(err)}; left: ${names.join(', ')}`);
    });
  }

  /**
   * Deletes the namespace and waits until it is gone; the operator must still run, since it
   * removes its finalizers. Runs whose finalizer is still there after `timeoutMs` get it
   * stripped so no namespace is left stuck in Terminating, and the clean up fails loudly.
   */
  async destroy(timeoutMs = 60_000): Promise<void> {
    await this.core.deleteNamespace({ name: this.name }).catch((err: unknown) => {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.core.readNamespace({ name: this.name });
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return;
        throw err;
      }
      if (Date.now() > deadline) break;
      await sleep(500);
    }
    const stuck = (await this.list()).filter((r) => r.finalizers.includes(FINALIZER));
    for (const run of stuck) {
      await this.custom.patchNamespacedCustomObject({ ...api, namespace: this.name, name: run.name, body: [{ op: 'remove', path: '/metadata/finalizers' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    }
    throw new Error(`namespace ${this.name} was not gone after ${timeoutMs} ms; stripped the finalizer of ${stuck.map((r) => r.name).join(', ') || 'no run'}`);
  }
}

const RuntimeObjectSchema = z.looseObject({ spec: z.record(z.string(), z.unknown()) });

/**
 * A cluster-scoped copy of a standard Runtime under a test's own name: metrics labelled by
 * runtime then count only that test's runs, whatever else runs on the cluster meanwhile.
 */
export async function copyRuntime(kc: KubeConfig, from: string, to: string): Promise<{ delete(): Promise<void> }> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const runtimes = { group: GROUP, version: VERSION, plural: 'runtimes' };
  const source = RuntimeObjectSchema.parse(await custom.getClusterCustomObject({ ...runtimes, name: from }));
  await custom.createClusterCustomObject({ ...runtimes, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Runtime', metadata: { name: to }, spec: source.spec } });
  return {
    delete: async () => {
      await custom.deleteClusterCustomObject({ ...runtimes, name: to }).catch((err: unknown) => {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      });
    },
  };
}

/** The run's status as the suite's beforeAll first saw it terminal; fails the test when there is none. */
export function terminalRun(results: Map<string, ObservedCodeRun>, name: string): ObservedCodeRun {
  const run = results.get(name);
  if (!run) throw new Error(`no terminal status for ${name} (see beforeAll)`);
  return run;
}

/**
 * A suite's afterAll: the namespace first (the operator releases the runs' finalizers), then the
 * suite lets the operator go (it keeps running for the next suite).
 */
export async function tearDown(ns: CodeRunTestNamespace, operator: { release(): Promise<void> } | undefined): Promise<void> {
  try {
    await ns.destroy();
  } finally {
    await operator?.release();
  }
}

/** The node's own IPv4 address on eth0: the one address outside the pod network tests may use. */
export function nodeAddress(): string {
  const eth0 = networkInterfaces().eth0?.find((a) => a.family === 'IPv4');
  if (!eth0) throw new Error('no IPv4 address on eth0: the node-address check needs the address pods reach the node by');
  return eth0.address;
}
