// Whether a pool pod whose run ended cleanly goes back to the pool (warmPool.runsPerPod above 1)
// or is deleted as after every run by default. Pure: the release (warm-release.ts) reads the pod
// fresh from the API server and carries the decision out. Anything uncertain deletes the pod.
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../sandbox/names.js';
import { POOL_LABELS, runsServedOf } from '../../sandbox/pool-labels.js';
import { isReady } from './claim-choice.js';

export interface ReuseInput {
  /** The pod as the API server has it now; undefined when it is gone. */
  pod: V1Pod | undefined;
  /** The run and attempt that claimed it: only their own pod is released. */
  runUid: string;
  attempt: number;
  /** The Runtime's pool now; undefined when it is gone or has no pool. */
  pool: { runsPerPod: number; templateHash: string; runtimeUid: string } | undefined;
}

export type ReuseDecision = { kind: 'reuse'; runsServed: number; resourceVersion: string; runtimeUid: string } | { kind: 'delete'; why: string };

/**
 * Reuse only a pod that is exactly as a fresh one would be from the platform's side: Running and
 * Ready, its containers never restarted nor killed (a restart keeps the pod's volumes), not being
 * deleted, still claimed by this run's attempt, of the pool's current template, with fewer runs
 * served than runsPerPod once this one counts. The runner of the next run cleans and verifies the
 * container itself (runner run --pristine) before it reads the job.
 */
export function reuseDecision(input: ReuseInput): ReuseDecision {
  const { pod, pool } = input;
  if (pool === undefined) return { kind: 'delete', why: 'the Runtime has no pool any more' };
  if (pool.runsPerPod <= 1) return { kind: 'delete', why: 'runsPerPod is 1' };
  if (pod === undefined) return { kind: 'delete', why: 'the pod is gone' };
  const labels = pod.metadata?.labels ?? {};
  const resourceVersion = pod.metadata?.resourceVersion;
  if (pod.metadata?.deletionTimestamp !== undefined || resourceVersion === undefined) return { kind: 'delete', why: 'the pod is being deleted' };
  if (labels[POOL_LABELS.state] !== 'claimed' || labels[LABELS.runUid] !== input.runUid || labels[LABELS.attempt] !== String(input.attempt)) {
    return { kind: 'delete', why: 'the pod is not claimed by this attempt' };
  }
  if (labels[POOL_LABELS.specHash] !== pool.templateHash) return { kind: 'delete', why: 'the pod is of an old template' };
  if (!isReady(pod)) return { kind: 'delete', why: 'the pod is not Running and Ready' };
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  if (statuses.length === 0 || statuses.some((c) => c.restartCount !== 0 || c.lastState?.terminated !== undefined)) {
    return { kind: 'delete', why: 'a container of the pod restarted or was killed' };
  }
  if (!(pod.status?.containerStatuses ?? []).every((c) => c.state?.running !== undefined && c.ready)) return { kind: 'delete', why: 'a container of the pod is not running' };
  const served = runsServedOf(pod.metadata?.annotations);
  if (served === undefined) return { kind: 'delete', why: 'the pod has no valid count of the runs it served' };
  const runsServed = served + 1;
  if (runsServed >= pool.runsPerPod) return { kind: 'delete', why: `the pod has served runsPerPod (${pool.runsPerPod}) runs` };
  return { kind: 'reuse', runsServed, resourceVersion, runtimeUid: pool.runtimeUid };
}
