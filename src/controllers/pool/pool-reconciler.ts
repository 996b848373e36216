// The Runtime (pool) reconciler: keeps each Runtime's warm pool of sandbox pods, and the
// Runtime's status.pool counts. Keys are Runtime names; pool pod events map back to their
// Runtime by label. Observe (the pod cache and the expectations of this process's own writes),
// plan (planPool, pure), act: guarded deletes, then creates with a uid of their own each.
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { z } from 'zod';
import { RuntimeStatusSchema } from '../../crds/runtime.js';
import type { PoolApi } from '../../kube/pool-api.js';
import { POOL_POD_STATES, type DomainMetrics } from '../../observability/domain-metrics.js';
import { allocateUid, uidsInUse } from '../../sandbox/names.js';
import { uidRangeOf, type SandboxConfig } from '../../sandbox/pod.js';
import type { Reconcile } from '../../machinery/controller.js';
import { cachedNames, poolPodViews, poolPodsOf, startingPoolPods } from './observed-pool.js';
import { PoolExpectations } from './pool-expectations.js';
import { poolPodName } from '../../sandbox/pool-labels.js';
import { poolTemplateOf, type ObservedRuntime, type PoolTemplate } from './pool-pod.js';
import { countPool, planPool, type PoolStatus } from './pool-plan.js';

export interface PoolReconcilerDeps {
  runtimes: { get(name: string): ObservedRuntime | undefined };
  /** Every sandbox pod, cold and pool: a new pod's uid must differ from all of theirs. */
  pods: { list(): V1Pod[] };
  api: Pick<PoolApi, 'createPod' | 'deleteUnclaimedPod' | 'patchRuntimePool'>;
  metrics: DomainMetrics;
  sandboxConfig: SandboxConfig;
  /** Pool pods of all pools that may be starting at once (CODERUN_POOL_MAX_STARTING); 0: no bound. */
  maxStarting: number;
  logger: Logger;
  now?: () => number;
  /** The random part of a new pool pod's name. */
  nameSuffix?: () => string;
}

/**
 * A Runtime's status.pool is written at most this often: every claim and every replacement
 * changes the counts, and in a burst one status write per change would load the API server the
 * runs need. The reconcile after the interval writes the counts of that moment.
 */
const STATUS_MIN_INTERVAL_MS = 1000;

/**
 * Creates one reconcile has in flight at most, started in batches of 1, 2, 4, ... up to this (a
 * ReplicaSet's slow start): a create that fails (quota, admission) stops the rest.
 */
const MAX_CONCURRENT_CREATES = 8;

const StatusPoolSchema = z.looseObject({ pool: RuntimeStatusSchema.shape.pool });

function statusPoolOf(runtime: ObservedRuntime | undefined): PoolStatus | undefined {
  const parsed = StatusPoolSchema.safeParse(runtime?.status);
  return parsed.success ? parsed.data.pool : undefined;
}

const randomSuffix = (): string => randomBytes(4).toString('hex');

/** A pool whose refill waited for the starting budget looks again this soon (another pool's pods may hold it). */
const DEFERRED_REFILL_RETRY_MS = 250;

export function poolReconciler(deps: PoolReconcilerDeps): Reconcile {
  const now = deps.now ?? Date.now;
  const nameSuffix = deps.nameSuffix ?? randomSuffix;
  const lastStatusWrite = new Map<string, number>();
  const expectations = new PoolExpectations();

  /** Creates `count` pods of the template, each under a uid no other sandbox pod has. */
  async function createPods(name: string, template: PoolTemplate, count: number, at: number, log: Logger): Promise<void> {
    const inUse = uidsInUse(deps.pods.list());
    for (const uid of expectations.uidsInFlight()) inUse.add(uid);
    const pods = Array.from({ length: count }, () => {
      const podName = poolPodName(name, nameSuffix());
      const uid = allocateUid(podName, inUse, uidRangeOf(deps.sandboxConfig));
      inUse.add(uid);
      expectations.expectCreate(name, { name: podName, uid, templateHash: template.hash, atMs: at });
      return { podName, pod: template.pod(podName, uid) };
    });
    log.info({ count, template: template.hash }, 'creating warm pool pods');
    let started = 0;
    for (let batch = 1; started < pods.length; batch = Math.min(2 * batch, MAX_CONCURRENT_CREATES)) {
      const chunk = pods.slice(started, started + batch);
      started += chunk.length;
      const results = await Promise.allSettled(chunk.map(({ pod }) => deps.api.createPod(pod)));
      const failure = results.find((r) => r.status === 'rejected');
      if (failure === undefined) continue;
      // Neither the failed creates nor the ones not started will show up in the cache.
      chunk.forEach(({ podName }, i) => {
        if (results[i]?.status === 'rejected') expectations.createFailed(name, podName);
      });
      for (const { podName } of pods.slice(started)) expectations.createFailed(name, podName);
      throw failure.reason;
    }
  }

  /** How many more pool pods may start now, in all pools. */
  function startingBudget(): number {
    if (deps.maxStarting === 0) return Infinity;
    const { starting, cached } = startingPoolPods(deps.pods.list());
    return deps.maxStarting - starting - expectations.createsNotIn(cached);
  }

  return async (name) => {
    const at = now();
    const runtime = deps.runtimes.get(name);
    if (runtime === undefined) lastStatusWrite.delete(name);
    const template = poolTemplateOf(runtime, deps.sandboxConfig);
    const cached = poolPodsOf(deps.pods.list(), name);
    const pending = expectations.pending(name, cachedNames(cached), at);
    const pods = poolPodViews(cached, pending);
    const counts = countPool(pods, template?.hash);
    for (const state of POOL_POD_STATES) deps.metrics.poolPods.set({ runtime: name, state }, counts[state]);
    if (runtime !== undefined) deps.metrics.observeRuntime(name, template === undefined ? undefined : cached);
    const actions = planPool({
      runtimeExists: runtime !== undefined,
      desired: template === undefined ? undefined : { replicas: template.replicas, templateHash: template.hash, runsPerPod: template.runsPerPod },
      pods,
      statusPool: statusPoolOf(runtime),
      startingBudget: startingBudget(),
    });
    const log = deps.logger.child({ runtime: name });
    let requeueAfterMs = pending.expiresAtMs === undefined ? undefined : pending.expiresAtMs - at;
    for (const action of actions) {
      switch (action.type) {
        case 'deletePod':
          log.info({ pod: action.name, reason: action.reason }, 'deleting a warm pool pod');
          // A claim since the cache saw the pod makes this a no-op; the claim's event requeues.
          if (await deps.api.deleteUnclaimedPod(action.name, action.resourceVersion)) expectations.expectDelete(name, action.name, at);
          break;
        case 'createPods':
          if (template === undefined) throw new Error('unreachable: pods planned for a Runtime without a pool');
          if (action.deferred > 0) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, DEFERRED_REFILL_RETRY_MS);
          if (action.count > 0) await createPods(name, template, action.count, at, log);
          break;
        case 'writeStatus': {
          const dueInMs = (lastStatusWrite.get(name) ?? -Infinity) + STATUS_MIN_INTERVAL_MS - now();
          if (dueInMs > 0) {
            requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, dueInMs);
            break;
          }
          await deps.api.patchRuntimePool(name, action.pool);
          lastStatusWrite.set(name, now());
          break;
        }
      }
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  };
}
