// The pool reconcile decision for one Runtime: desired Deployment and what is observed → actions.
import type { V1Deployment } from '@kubernetes/client-node';
import type { RuntimeStatus } from '../../crds/runtime.js';
import type { PoolCounts } from './claim-choice.js';
import { poolSpecHashOf } from './pool-deployment.js';

export type PoolStatus = NonNullable<RuntimeStatus['pool']>;

export type PoolAction =
  | { type: 'createDeployment'; deployment: V1Deployment }
  /** Carries the observed resourceVersion: a stale cache gets 409 and a retry. */
  | { type: 'replaceDeployment'; deployment: V1Deployment }
  | { type: 'deleteDeployment'; name: string }
  /** null removes the pool from the status (the Runtime no longer has one). */
  | { type: 'writeStatus'; pool: PoolStatus | null };

export interface PoolObservation {
  /** Whether the Runtime exists (a deleted one's Deployment goes; garbage collection would too). */
  runtimeExists: boolean;
  /** What should exist; undefined when the Runtime has no warmPool or no valid spec. */
  desired: V1Deployment | undefined;
  observed: V1Deployment | undefined;
  counts: PoolCounts;
  /** The pool part of the Runtime's current status. */
  statusPool: PoolStatus | undefined;
}

function samePool(a: PoolStatus | undefined, b: PoolStatus): boolean {
  return a !== undefined && a.desired === b.desired && a.ready === b.ready && a.idle === b.idle;
}

export function planPool(o: PoolObservation): PoolAction[] {
  const actions: PoolAction[] = [];
  if (o.desired === undefined) {
    if (o.observed?.metadata?.name !== undefined) actions.push({ type: 'deleteDeployment', name: o.observed.metadata.name });
    if (o.runtimeExists && o.statusPool !== undefined) actions.push({ type: 'writeStatus', pool: null });
    return actions;
  }
  if (o.observed === undefined) {
    actions.push({ type: 'createDeployment', deployment: o.desired });
  } else if (poolSpecHashOf(o.observed) !== poolSpecHashOf(o.desired) || o.observed.spec?.replicas !== o.desired.spec?.replicas) {
    // A new template hash rolls the pool; a new replica count only scales it.
    const deployment: V1Deployment = { ...o.desired, metadata: { ...o.desired.metadata, resourceVersion: o.observed.metadata?.resourceVersion } };
    actions.push({ type: 'replaceDeployment', deployment });
  }
  const pool: PoolStatus = { desired: o.desired.spec?.replicas ?? 0, ready: o.counts.idle + o.counts.claimed, idle: o.counts.idle };
  if (!samePool(o.statusPool, pool)) actions.push({ type: 'writeStatus', pool });
  return actions;
}
