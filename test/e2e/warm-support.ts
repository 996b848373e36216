// Warm pool e2e helpers: test-only Runtimes with a pool, and the pool's objects as a user sees them.
import { ApiException, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION, type Condition } from '../../src/crds/common.js';
import type { CodeRunStatus } from '../../src/crds/coderun.js';
import { RuntimeStatusSchema } from '../../src/crds/runtime.js';
import { LABELS, MANAGED_BY } from '../../src/sandbox/names.js';
import { poolPodsSelector } from '../../src/sandbox/pool-labels.js';
import { SANDBOX_NAMESPACE, tearDown, type CodeRunTestNamespace } from '../support/coderun-e2e.js';

const runtimes = { group: GROUP, version: VERSION, plural: 'runtimes' };
const RuntimeObject = z.looseObject({
  metadata: z.looseObject({ generation: z.number().int().optional() }),
  spec: z.record(z.string(), z.unknown()),
  status: RuntimeStatusSchema.optional(),
});

/** Small pod requests, so that pools and cold pods fit on the 2-core test node together. */
export const SMALL_POOL_REQUESTS = { requests: { cpu: '10m', memory: '64Mi' } };

export class PoolRuntime {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    readonly name: string,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Creates the Runtime as a copy of a standard one, with `warmPool` when given. */
  async createFrom(standard: string, warmPool: Record<string, unknown> | undefined): Promise<void> {
    const source = RuntimeObject.parse(await this.custom.getClusterCustomObject({ ...runtimes, name: standard }));
    const spec = { ...source.spec, ...(warmPool ? { warmPool } : {}) };
    await this.custom.createClusterCustomObject({ ...runtimes, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Runtime', metadata: { name: this.name }, spec } });
  }

  /** A JSON merge patch of the Runtime's spec (null removes a field). */
  async patchSpec(spec: Record<string, unknown>): Promise<void> {
    await this.custom.patchClusterCustomObject({ ...runtimes, name: this.name, body: { spec } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }

  async status(): Promise<z.infer<typeof RuntimeStatusSchema> | undefined> {
    return (await this.read()).status;
  }

  /** The Ready condition, once it is about the Runtime's current generation (else undefined). */
  async currentReady(): Promise<Condition | undefined> {
    const runtime = await this.read();
    const ready = runtime.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.observedGeneration === runtime.metadata.generation ? ready : undefined;
  }

  private async read(): Promise<z.infer<typeof RuntimeObject>> {
    return RuntimeObject.parse(await this.custom.getClusterCustomObject({ ...runtimes, name: this.name }));
  }

  /** Every sandbox pod, cold or pool, of any Runtime, not being deleted. */
  async sandboxPods(): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace: SANDBOX_NAMESPACE, labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` });
    return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
  }

  /** Every pod of this Runtime's pool, idle or claimed, not being deleted. */
  async pods(): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace: SANDBOX_NAMESPACE, labelSelector: poolPodsSelector(this.name) });
    return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
  }

  async delete(): Promise<void> {
    await this.custom.deleteClusterCustomObject({ ...runtimes, name: this.name }).catch((err: unknown) => {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    });
  }
}

export const isReady = (pod: V1Pod): boolean => (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The host uid a pod's processes run as. */
export const uidOf = (pod: V1Pod): number | undefined => pod.spec?.securityContext?.runAsUser;

/**
 * What must be equal between a warm and a cold run of the same program: the verdict, and per test
 * the verdict, exit code, signal and message (without the measurement that ends it). At a process
 * limit the program may end by its own refused fork (an exit code) or by the runner's kill (signal
 * 9), a race that is the same on both paths: there the limit named in the message is what counts.
 */
export function verdictEssentials(status: CodeRunStatus) {
  return {
    verdict: status.verdict,
    compiled: status.compile?.exitCode,
    tests: status.tests?.map((t) => {
      const message = t.message?.replace(/ \((used|ran|peak) [^)]*\)$/, '');
      const atProcessLimit = message?.includes('process limit') === true;
      return { verdict: t.verdict, message, ...(atProcessLimit ? {} : { exitCode: t.exitCode, signal: t.signal }) };
    }),
  };
}

export const RUN_PATHS = ['warm', 'cold'] as const;
export type RunPath = (typeof RUN_PATHS)[number];

/** The run of a case on one path. */
export const pathRunName = (name: string, path: RunPath): string => `${name}-${path}`;

/**
 * Per language, a copy of the standard Runtime with a warm pool and one without: the same cases
 * run on both paths.
 */
export class PathRuntimes<Language extends string> {
  private readonly runtimes: PoolRuntime[] = [];

  constructor(
    private readonly kc: KubeConfig,
    readonly names: Record<Language, Record<RunPath, string>>,
  ) {}

  async create(replicas: number): Promise<void> {
    const copies = Object.entries<Record<RunPath, string>>(this.names).map(([standard, names]) => ({ standard, ...names }));
    await createWarmColdCopies(this.kc, copies, { replicas, resources: SMALL_POOL_REQUESTS }, this.runtimes);
  }

  async delete(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.delete()));
  }
}

/**
 * For each standard Runtime, a copy with `warmPool` and a copy without one. Each copy is noted in
 * `created` before it is made, so that a failure halfway still leaves every copy to delete.
 */
export async function createWarmColdCopies(
  kc: KubeConfig,
  copies: { standard: string; warm: string; cold: string }[],
  warmPool: Record<string, unknown>,
  created: PoolRuntime[] = [],
): Promise<PoolRuntime[]> {
  for (const { standard, warm, cold } of copies) {
    const pair = [new PoolRuntime(kc, warm), new PoolRuntime(kc, cold)] as const;
    created.push(...pair);
    await pair[0].createFrom(standard, warmPool);
    await pair[1].createFrom(standard, undefined);
  }
  return created;
}

/** A suite's afterAll: the namespace and the operator (tearDown), then the suite's Runtimes. */
export async function tearDownWithRuntimes(ns: CodeRunTestNamespace, operator: { release(): Promise<void> } | undefined, runtimes: PoolRuntime[]): Promise<void> {
  try {
    await tearDown(ns, operator);
  } finally {
    await Promise.all(runtimes.map((r) => r.delete()));
  }
}
