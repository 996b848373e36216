// The pool reconcile decision for one Runtime: what its pool should be and the pods it has →
// actions. Pure; the pool reconciler observes and carries the actions out.
import type { RuntimeStatus } from '../../crds/runtime.js';
import type { PoolPodView } from './observed-pool.js';

export type PoolStatus = NonNullable<RuntimeStatus['pool']>;

/** Why an unclaimed pool pod goes (logged). */
export type DeleteReason = 'ended' | 'oldTemplate' | 'scaleDown' | 'noPool';

export type PoolAction =
  /** Guarded by the resourceVersion seen: a pod claimed since then is not deleted (409). */
  | { type: 'deletePod'; name: string; resourceVersion: string; reason: DeleteReason }
  /** Pods of the current template; `deferred` more are missing but wait for the starting budget. */
  | { type: 'createPods'; count: number; deferred: number }
  /** null removes the pool from the status (the Runtime no longer has one). */
  | { type: 'writeStatus'; pool: PoolStatus | null };

export interface PoolObservation {
  runtimeExists: boolean;
  /** What the pool should be; undefined when the Runtime is gone, has no warmPool or no valid spec. */
  desired: { replicas: number; templateHash: string; runsPerPod?: number } | undefined;
  /** The pool's live pods, with the creates the cache does not show yet (poolPodViews). */
  pods: readonly PoolPodView[];
  /** The pool part of the Runtime's current status. */
  statusPool: PoolStatus | undefined;
  /**
   * How many more pool pods may start now, across every pool (CODERUN_POOL_MAX_STARTING less the
   * pool pods starting); Infinity when unbounded.
   */
  startingBudget: number;
}

/** Pool pods by state, as the Runtime's status and the pool metrics report them. */
export interface PoolCounts {
  starting: number;
  idle: number;
  claimed: number;
}

/**
 * Only pods of the current template count as starting or idle: pods of an old one are being
 * rolled away and are never claimed. A claimed pod counts whatever its template.
 */
export function countPool(pods: readonly PoolPodView[], templateHash: string | undefined): PoolCounts {
  const counts: PoolCounts = { starting: 0, idle: 0, claimed: 0 };
  for (const pod of pods) {
    if (pod.state === 'claimed') counts.claimed++;
    else if (pod.state !== 'ended' && pod.templateHash === templateHash) counts[pod.state]++;
  }
  return counts;
}

/** An unclaimed pod the cache has seen: one that can be deleted under a resourceVersion guard. */
function deletable(pod: PoolPodView): pod is PoolPodView & { resourceVersion: string } {
  return pod.state !== 'claimed' && pod.resourceVersion !== undefined;
}

const deletePod = (pod: PoolPodView & { resourceVersion: string }, reason: DeleteReason): PoolAction => ({
  type: 'deletePod',
  name: pod.name,
  resourceVersion: pod.resourceVersion,
  reason,
});

/**
 * A claimed pod that may go back to the pool after its run (warmPool.runsPerPod): it keeps its
 * place, so that no replacement is made for it (and deleted again when it returns). A pod that
 * does not return is deleted by its run, and its replacement is made then.
 */
function mayReturn(pod: PoolPodView, desired: { templateHash: string; runsPerPod?: number }): boolean {
  return pod.templateHash === desired.templateHash && pod.runsServed !== undefined && pod.runsServed + 1 < (desired.runsPerPod ?? 1);
}

/** Which of the current template's pods a scale-down removes first: starting ones (no start to waste), then the newest. */
function scaleDownOrder(a: PoolPodView, b: PoolPodView): number {
  const rank = (p: PoolPodView) => (p.state === 'starting' ? 0 : 1);
  return rank(a) - rank(b) || b.createdAtMs - a.createdAtMs || a.name.localeCompare(b.name);
}

/**
 * Claimed pods are never deleted: their runs delete them. Without a pool, every other pod goes.
 * With one, old-template pods go at once (they hold no work and are never claimed), so that on a
 * full node the new template's pods get their room; then the current template is scaled to
 * `replicas` unclaimed pods: created to fill (a claimed pod's replacement included), or removed
 * starting first. Pods created but not in the cache yet count, so a stale cache creates no extras.
 * Creates wait for the starting budget: pod starts take the CPU that the runs of a burst need, so
 * the refill after a burst starts a few pods at a time rather than all at once.
 */
export function planPool(o: PoolObservation): PoolAction[] {
  const actions: PoolAction[] = [];
  if (o.desired === undefined) {
    for (const pod of o.pods) if (deletable(pod)) actions.push(deletePod(pod, 'noPool'));
    if (o.runtimeExists && o.statusPool !== undefined) actions.push({ type: 'writeStatus', pool: null });
    return actions;
  }
  const { replicas, templateHash } = o.desired;
  const current: PoolPodView[] = [];
  for (const pod of o.pods) {
    if (pod.state === 'claimed') {
      if (mayReturn(pod, o.desired)) current.push(pod);
      continue;
    }
    if (pod.state !== 'ended' && pod.templateHash === templateHash) current.push(pod);
    else if (deletable(pod)) actions.push(deletePod(pod, pod.state === 'ended' ? 'ended' : 'oldTemplate'));
  }
  if (current.length < replicas) {
    const missing = replicas - current.length;
    const count = Math.min(missing, Math.max(0, o.startingBudget));
    actions.push({ type: 'createPods', count, deferred: missing - count });
  } else {
    // Pods not in the cache yet cannot be deleted under a guard; a later reconcile sees them.
    const excess = current.filter(deletable).sort(scaleDownOrder).slice(0, current.length - replicas);
    for (const pod of excess) actions.push(deletePod(pod, 'scaleDown'));
  }
  const counts = countPool(o.pods, templateHash);
  const pool: PoolStatus = { desired: replicas, ready: counts.idle + counts.claimed, idle: counts.idle };
  if (!samePool(o.statusPool, pool)) actions.push({ type: 'writeStatus', pool });
  return actions;
}

function samePool(a: PoolStatus | undefined, b: PoolStatus): boolean {
  return a !== undefined && a.desired === b.desired && a.ready === b.ready && a.idle === b.idle;
}
