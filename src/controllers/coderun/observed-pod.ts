// How the plan sees a sandbox pod.
import type { V1Pod } from '@kubernetes/client-node';
import { START_FAILURES, type PodView } from './plan.js';

const time = (value: Date | string | undefined): Date | undefined => (value === undefined ? undefined : new Date(value));

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
      return { kind: 'running', ready: status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false };
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
      return { kind: 'running', ready: false };
  }
}
