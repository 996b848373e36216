// The Runtime (pool) reconciler: keeps one Deployment per Runtime with a warm pool, and the
// Runtime's status.pool counts. Keys are Runtime names; Deployment and pool pod events map back
// to their Runtime by label.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { z } from 'zod';
import { RuntimeSpecSchema, RuntimeStatusSchema } from '../../crds/runtime.js';
import type { PoolApi } from '../../kube/pool-api.js';
import type { DomainMetrics } from '../../observability/domain-metrics.js';
import type { SandboxConfig } from '../coderun/sandbox-pod.js';
import type { Reconcile } from '../machinery/controller.js';
import { countPoolPods } from './claim-choice.js';
import { buildPoolDeployment, poolSpecHashOf } from './pool-deployment.js';
import { poolDeploymentName } from './pool-labels.js';
import { planPool, type PoolStatus } from './pool-plan.js';

/** A Runtime as the caches hold it: checked loosely, the spec is parsed here. */
export interface ObservedRuntime {
  metadata: { name?: string; uid?: string };
  spec: unknown;
  status?: unknown;
}

export interface PoolReconcilerDeps {
  runtimes: { get(name: string): ObservedRuntime | undefined };
  /** Pool Deployments, keyed "namespace/name". */
  deployments: { get(key: string): V1Deployment | undefined };
  pods: { list(): V1Pod[] };
  api: PoolApi;
  metrics: DomainMetrics;
  sandboxConfig: SandboxConfig;
  logger: Logger;
  now?: () => number;
}

/**
 * A Runtime's status.pool is written at most this often: every claim and every replacement
 * changes the counts, and in a burst one status write per change would load the API server the
 * runs need. The reconcile after the interval writes the counts of that moment.
 */
const STATUS_MIN_INTERVAL_MS = 1000;

const StatusPoolSchema = z.looseObject({ pool: RuntimeStatusSchema.shape.pool });

function statusPoolOf(runtime: ObservedRuntime | undefined): PoolStatus | undefined {
  const parsed = StatusPoolSchema.safeParse(runtime?.status);
  return parsed.success ? parsed.data.pool : undefined;
}

/** The desired pool Deployment of a cached Runtime, if it has a valid spec with a warmPool. */
export function desiredPoolDeployment(runtime: ObservedRuntime | undefined, config: SandboxConfig): V1Deployment | undefined {
  const name = runtime?.metadata.name;
  const uid = runtime?.metadata.uid;
  const spec = RuntimeSpecSchema.safeParse(runtime?.spec);
  if (name === undefined || uid === undefined || !spec.success) return undefined;
  return buildPoolDeployment({ name, uid, spec: spec.data }, config);
}

export function poolReconciler(deps: PoolReconcilerDeps): Reconcile {
  const now = deps.now ?? Date.now;
  const lastStatusWrite = new Map<string, number>();
  return async (name) => {
    const runtime = deps.runtimes.get(name);
    if (runtime === undefined) lastStatusWrite.delete(name);
    const desired = desiredPoolDeployment(runtime, deps.sandboxConfig);
    const observed = deps.deployments.get(`${deps.sandboxConfig.namespace}/${poolDeploymentName(name)}`);
    const counts = countPoolPods(deps.pods.list(), name, poolSpecHashOf(desired));
    for (const state of ['starting', 'idle', 'claimed'] as const) deps.metrics.poolPods.set({ runtime: name, state }, counts[state]);
    const actions = planPool({ runtimeExists: runtime !== undefined, desired, observed, counts, statusPool: statusPoolOf(runtime) });
    const log = deps.logger.child({ runtime: name });
    let statusDueInMs: number | undefined;
    for (const action of actions) {
      switch (action.type) {
        case 'createDeployment':
          log.info({ replicas: action.deployment.spec?.replicas }, 'creating the warm pool');
          await deps.api.createDeployment(action.deployment);
          break;
        case 'replaceDeployment':
          log.info({ replicas: action.deployment.spec?.replicas }, 'updating the warm pool');
          await deps.api.replaceDeployment(action.deployment);
          break;
        case 'deleteDeployment':
          log.info('removing the warm pool');
          await deps.api.deleteDeployment(action.name);
          break;
        case 'writeStatus': {
          const dueInMs = (lastStatusWrite.get(name) ?? -Infinity) + STATUS_MIN_INTERVAL_MS - now();
          if (dueInMs > 0) {
            statusDueInMs = dueInMs;
            break;
          }
          await deps.api.patchRuntimePool(name, action.pool);
          lastStatusWrite.set(name, now());
          break;
        }
      }
    }
    return statusDueInMs === undefined ? undefined : { requeueAfterMs: statusDueInMs };
  };
}
