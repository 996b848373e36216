// One Runtime's pool pods as the pool plan sees them: the cache, corrected by the writes the
// cache does not show yet (pool-expectations). Pure.
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS, labelValue } from '../../sandbox/names.js';
import { isClaimable } from './claim-choice.js';
import type { CachedNames, PendingWrites } from './pool-expectations.js';
import { POOL_COMPONENT, POOL_LABELS, runsServedOf } from '../../sandbox/pool-labels.js';
import type { PoolPodState } from '../../observability/domain-metrics.js';

export interface PoolPodView {
  name: string;
  /**
   * starting: idle but not Ready yet (image, init container, start); idle: Ready, claimable;
   * claimed: serving a run, never touched by the pool; ended: an idle pod that stopped for good
   * (evicted, failed), holding no work.
   */
  state: PoolPodState | 'ended';
  /** The version seen in the cache, which a delete is guarded by; undefined for a pod created but not in the cache yet. */
  resourceVersion: string | undefined;
  templateHash: string | undefined;
  createdAtMs: number;
  /** Runs it has served before its current one (warmPool.runsPerPod); undefined: no valid count. */
  runsServed: number | undefined;
}

/**
 * Pool pods of every Runtime that are starting (created, not yet Ready), with how many the cache
 * holds in all: the starting budget is shared by all pools.
 */
export function startingPoolPods(pods: readonly V1Pod[]): { starting: number; cached: Set<string> } {
  const cached = new Set<string>();
  let starting = 0;
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (name === undefined || pod.metadata?.labels?.[LABELS.component] !== POOL_COMPONENT) continue;
    cached.add(name);
    if (pod.metadata.deletionTimestamp === undefined && stateOf(pod) === 'starting') starting++;
  }
  return { starting, cached };
}

/** The Runtime's pool pods in the cache, being deleted or not. */
export function poolPodsOf(pods: readonly V1Pod[], runtimeName: string): V1Pod[] {
  const runtime = labelValue(runtimeName);
  return pods.filter((pod) => pod.metadata?.labels?.[LABELS.component] === POOL_COMPONENT && pod.metadata.labels[LABELS.runtime] === runtime);
}

export function cachedNames(pods: readonly V1Pod[]): CachedNames {
  const all = new Set<string>();
  const live = new Set<string>();
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (name === undefined) continue;
    all.add(name);
    if (pod.metadata?.deletionTimestamp === undefined) live.add(name);
  }
  return { all, live };
}

function stateOf(pod: V1Pod): PoolPodView['state'] {
  if (pod.metadata?.labels?.[POOL_LABELS.state] === 'claimed') return 'claimed';
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 'ended';
  return isClaimable(pod) ? 'idle' : 'starting';
}

/**
 * The pool's live pods: the cached ones not being deleted and not deleted by us, and the ones we
 * created that the cache does not show yet (starting).
 */
export function poolPodViews(pods: readonly V1Pod[], pending: Pick<PendingWrites, 'creates' | 'deletes'>): PoolPodView[] {
  const views: PoolPodView[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (name === undefined || pod.metadata?.deletionTimestamp !== undefined || pending.deletes.has(name)) continue;
    views.push({
      name,
      resourceVersion: pod.metadata?.resourceVersion,
      templateHash: pod.metadata?.labels?.[POOL_LABELS.specHash],
      state: stateOf(pod),
      createdAtMs: new Date(pod.metadata?.creationTimestamp ?? 0).getTime(),
      runsServed: runsServedOf(pod.metadata?.annotations),
    });
  }
  for (const create of pending.creates) {
    views.push({ name: create.name, resourceVersion: undefined, templateHash: create.templateHash, state: 'starting', createdAtMs: create.atMs, runsServed: 0 });
  }
  return views;
}
