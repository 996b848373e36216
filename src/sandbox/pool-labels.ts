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
