// Names and labels of warm pool pods. The pool controller keeps a Runtime's idle pods by their
// state label: claiming flips it to claimed, the pod stops counting as idle, and a replacement
// starts at once.
import { LABELS, MANAGED_BY, RUN_NAME_ANNOTATION, labelValue, sandboxLabels, type RunRef } from './names.js';

export const POOL_LABELS = {
  /** idle: waiting for a run, kept by the pool controller; claimed: serving exactly one run. */
  state: 'coderun.dev/pool-state',
  /** The hash of the pool's pod template (everything but the pod's own uid), on every pool pod. */
  specHash: 'coderun.dev/pool-spec',
} as const;

export const POOL_ANNOTATIONS = {
  /**
   * Runs a pool pod has served and finished (warmPool.runsPerPod above 1); absent: none. Written
   * by the release that returns the pod to the pool, so the pod itself is the record.
   */
  runsServed: 'coderun.dev/pool-runs-served',
} as const;

export const POOL_COMPONENT = 'pool';

/**
 * A pool pod's name: the Runtime's name (cut, dots made dashes) and a random suffix, at most 63
 * characters (a valid hostname). Random like a ReplicaSet's generateName, but chosen before the
 * create, so the pod can be expected (pool-expectations) and its uid derived from its name.
 */
export function poolPodName(runtimeName: string, suffix: string): string {
  const prefix = runtimeName.slice(0, 62 - 'pool-'.length - suffix.length).replace(/\./g, '-').replace(/-+$/, '');
  return `pool-${prefix}-${suffix}`;
}

/** The labels every pool pod starts with. */
export function idlePoolLabels(runtimeName: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: POOL_COMPONENT,
    [LABELS.runtime]: labelValue(runtimeName),
    [POOL_LABELS.state]: 'idle',
  };
}

/** Selects every pod of one Runtime's pool, idle or claimed. */
export function poolPodsSelector(runtimeName: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=${POOL_COMPONENT},${LABELS.runtime}=${labelValue(runtimeName)}`;
}

/** Selects claimed pool pods of every Runtime (the start-up sweep). */
export const CLAIMED_POOL_PODS_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=${POOL_COMPONENT},${POOL_LABELS.state}=claimed`;

/**
 * What a claim writes on the pod: the claimed state (the pool no longer counts it as idle, and
 * never deletes it) and the run's labels, so the cold path's cleanup by run selector deletes it
 * and pod events reach the run.
 */
export function claimedPodMetadata(run: RunRef, runtimeName: string, attempt: number): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { ...sandboxLabels(run, runtimeName, attempt), [LABELS.component]: POOL_COMPONENT, [POOL_LABELS.state]: 'claimed' },
    annotations: { [RUN_NAME_ANNOTATION]: `${run.namespace}/${run.name}` },
  };
}

/** The runs a pool pod has served; undefined when its record is not a count (never trusted: the pod is then not reused). */
export function runsServedOf(annotations: Record<string, string> | undefined): number | undefined {
  const value = annotations?.[POOL_ANNOTATIONS.runsServed];
  if (value === undefined) return 0;
  return /^(0|[1-9][0-9]{0,5})$/.test(value) ? Number(value) : undefined;
}

/**
 * What a release writes on a pod whose run ended cleanly (a merge patch: null removes): idle
 * again, no label or annotation of its run left, and the count of runs it has served.
 */
export function releasedPodMetadata(runsServed: number): { labels: Record<string, string | null>; annotations: Record<string, string | null> } {
  return {
    labels: { [POOL_LABELS.state]: 'idle', [LABELS.runNamespace]: null, [LABELS.runName]: null, [LABELS.runUid]: null, [LABELS.attempt]: null },
    annotations: { [RUN_NAME_ANNOTATION]: null, [POOL_ANNOTATIONS.runsServed]: String(runsServed) },
  };
}
