// How the plan sees a sandbox pod, and the latency split of a finished cold run.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodView } from './plan.js';
import { SANDBOX_CONTAINER } from './sandbox-pod.js';

const time = (value: Date | string | undefined): Date | undefined => (value === undefined ? undefined : new Date(value));

/** Events that say a pod's container can never start; with pull policy Never nothing will change. */
export const START_FAILURES: ReadonlySet<string> = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/**
 * `warnings`: the pod's Warning events, oldest first. They are consulted when the container
 * statuses give no reason: a kubelet may keep a container at PodInitializing while its events
 * already say ErrImageNeverPull.
 */
export function podView(pod: V1Pod | undefined, warnings: ReadonlyArray<{ reason: string; message: string }> = []): PodView {
  if (pod === undefined) return { kind: 'absent' };
  const status = pod.status;
  switch (status?.phase) {
    case 'Succeeded':
    case 'Failed':
      return { kind: 'finished' };
    case 'Running':
      return { kind: 'running' };
    case 'Pending':
    case undefined: {
      // The init container (runner install) waits first; then the sandbox container.
      const waiting = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]
        .map((c) => c.state?.waiting)
        .find((w) => w?.reason !== undefined && w.reason !== 'PodInitializing' && w.reason !== 'ContainerCreating');
      const unschedulable = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
      const failure = waiting === undefined ? [...warnings].reverse().find((w) => START_FAILURES.has(w.reason)) : undefined;
      return {
        kind: 'pending',
        createdAt: time(pod.metadata?.creationTimestamp) ?? new Date(0),
        waitingReason: waiting?.reason ?? failure?.reason,
        waitingMessage: waiting?.message ?? failure?.message,
        unschedulableMessage: unschedulable?.message,
      };
    }
    default:
      // "Unknown": the node stopped reporting; the pod deadline or a lost pod ends it.
      return { kind: 'running' };
  }
}

export interface ColdRunTimings {
  /** Pod created → the sandbox container started (image, scheduling, runner install). */
  startSeconds: number | undefined;
  /** The sandbox container started → it ended (compile and tests). */
  executionSeconds: number | undefined;
}

export function coldRunTimings(pod: V1Pod): ColdRunTimings {
  const created = time(pod.metadata?.creationTimestamp);
  const terminated = pod.status?.containerStatuses?.find((c) => c.name === SANDBOX_CONTAINER)?.state?.terminated;
  const started = time(terminated?.startedAt);
  const finished = time(terminated?.finishedAt);
  const seconds = (from: Date | undefined, to: Date | undefined) =>
    from !== undefined && to !== undefined ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : undefined;
  return { startSeconds: seconds(created, started), executionSeconds: seconds(started, finished) };
}
