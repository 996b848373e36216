// Names and labels of warm pool objects. A pool pod is selected by its Deployment only while its
// state label says idle: claiming flips the label, the ReplicaSet stops counting the pod (and
// releases it), and a replacement starts at once.
import { LABELS, MANAGED_BY, RUN_NAME_ANNOTATION, sandboxLabels, type RunRef } from '../coderun/sandbox-names.js';

export const POOL_LABELS = {
  /** idle: waiting for a run, selected by the Deployment; claimed: serving exactly one run. */
  state: 'coderun.dev/pool-state',
  /** The hash of the pool's pod template, on the Deployment and on every pod it made. */
  specHash: 'coderun.dev/pool-spec',
} as const;

export const POOL_COMPONENT = 'pool';
export type PoolPodState = 'idle' | 'claimed';

/** The Deployment of one Runtime's pool; a Runtime name is a DNS subdomain, so only cut it. */
export function poolDeploymentName(runtimeName: string): string {
  return `pool-${runtimeName}`.slice(0, 253);
}

/** The labels a label value may hold: at most 63 characters, alphanumeric at both ends. */
export function poolRuntimeLabel(runtimeName: string): string {
  return runtimeName.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

/** The labels every pool pod starts with; also the Deployment's selector. */
export function idlePoolLabels(runtimeName: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: POOL_COMPONENT,
    [LABELS.runtime]: poolRuntimeLabel(runtimeName),
    [POOL_LABELS.state]: 'idle',
  };
}

/** Selects every pod of one Runtime's pool, idle or claimed. */
export function poolPodsSelector(runtimeName: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=${POOL_COMPONENT},${LABELS.runtime}=${poolRuntimeLabel(runtimeName)}`;
}

/** Selects claimed pool pods of every Runtime (the start-up sweep). */
export const CLAIMED_POOL_PODS_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.component}=${POOL_COMPONENT},${POOL_LABELS.state}=claimed`;

/**
 * What a claim writes on the pod: the claimed state (out of the Deployment's selector) and the
 * run's labels, so the cold path's cleanup by run selector deletes it and pod events reach the run.
 */
export function claimedPodMetadata(run: RunRef, runtimeName: string, attempt: number): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { ...sandboxLabels(run, runtimeName, attempt), [LABELS.component]: POOL_COMPONENT, [POOL_LABELS.state]: 'claimed' },
    annotations: { [RUN_NAME_ANNOTATION]: `${run.namespace}/${run.name}` },
  };
}
