// Which pool pod a run claims, and what a run does when there is none. Pure: the reconciler
// passes the pods from its cache and carries out the choice.
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS, labelValue } from '../../sandbox/names.js';
import { POOL_COMPONENT, POOL_LABELS } from '../../sandbox/pool-labels.js';

/** Running, and its Ready condition true. */
export function isReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function isIdlePoolPod(pod: V1Pod): boolean {
  const labels = pod.metadata?.labels ?? {};
  return labels[LABELS.component] === POOL_COMPONENT && labels[POOL_LABELS.state] === 'idle' && pod.metadata?.deletionTimestamp === undefined;
}

/** An idle, Ready pool pod of any Runtime: one a run could claim. */
export function isClaimable(pod: V1Pod): boolean {
  return isIdlePoolPod(pod) && isReady(pod);
}

/**
 * The idle, Ready pool pods of a Runtime in the order a claimer tries them. Only pods of the
 * current template (`specHash`) count: during a roll after an image change, the old image's idle
 * pods are not handed out. Pods whose runner already waits in an exec opened ahead (`hasSession`)
 * come first: their run skips the exec's start. Concurrent claimers start at different places
 * (`spread`, e.g. a hash of the run's UID), so that 20 runs arriving together mostly try 20
 * different pods instead of all racing for the first one.
 */
export function claimCandidates(
  pods: readonly V1Pod[],
  runtimeName: string,
  specHash: string,
  spread: number,
  hasSession: (podName: string) => boolean = () => false,
): V1Pod[] {
  const idle = pods
    .filter(
      (pod) =>
        isClaimable(pod) &&
        pod.metadata?.labels?.[LABELS.runtime] === labelValue(runtimeName) &&
        pod.metadata.labels[POOL_LABELS.specHash] === specHash,
    )
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (idle.length === 0) return [];
  const start = Math.abs(Math.trunc(spread)) % idle.length;
  const rotated = [...idle.slice(start), ...idle.slice(0, start)];
  const ready = (pod: V1Pod): boolean => hasSession(pod.metadata?.name ?? '');
  return [...rotated.filter(ready), ...rotated.filter((pod) => !ready(pod))];
}

/**
 * The pod this run already claimed for `attempt`: a claim whose status write failed (conflict,
 * restart) is found again instead of claiming a second pod.
 */
export function ownClaim(pods: readonly V1Pod[], runUid: string, attempt: number): V1Pod | undefined {
  return pods.find((pod) => {
    const labels = pod.metadata?.labels ?? {};
    return (
      labels[LABELS.component] === POOL_COMPONENT &&
      labels[POOL_LABELS.state] === 'claimed' &&
      labels[LABELS.runUid] === runUid &&
      labels[LABELS.attempt] === String(attempt) &&
      pod.metadata?.deletionTimestamp === undefined
    );
  });
}

export type StartPath = { kind: 'warm' } | { kind: 'cold' } | { kind: 'wait'; ms: number };

export interface StartPathInput {
  /** The Runtime has a warm pool with at least one replica. */
  hasPool: boolean;
  /** Idle, Ready pool pods in the cache. */
  idle: number;
  /** How long the run has waited since it was created. */
  waitedMs: number;
  /** How long a run may wait for a pool pod before it takes the cold path (0: never waits). */
  warmWaitMs: number;
}

/** How often a waiting run looks for an idle pool pod again. */
export const WARM_WAIT_POLL_MS = 100;

/** Warm when a pod is idle; otherwise wait within the bound, then cold. */
export function chooseStartPath(input: StartPathInput): StartPath {
  if (!input.hasPool) return { kind: 'cold' };
  if (input.idle > 0) return { kind: 'warm' };
  const left = input.warmWaitMs - input.waitedMs;
  if (left > 0) return { kind: 'wait', ms: Math.min(WARM_WAIT_POLL_MS, left) };
  return { kind: 'cold' };
}
