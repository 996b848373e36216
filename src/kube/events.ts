// Kubernetes Events on a CodeRun: what a user sees in `kubectl describe coderun`. Best effort:
// an event that cannot be written is logged, never a reason to fail a reconcile.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION } from '../crds/common.js';

export interface EventTarget {
  namespace: string;
  name: string;
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly component: string,
    private readonly logger: Logger,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  record(target: EventTarget, type: EventType, reason: string, message: string): void {
    const now = new Date();
    this.core
      .createNamespacedEvent({
        namespace: target.namespace,
        body: {
          metadata: { generateName: `${target.name}.`, namespace: target.namespace },
          involvedObject: { apiVersion: API_VERSION, kind: 'CodeRun', name: target.name, namespace: target.namespace, uid: target.uid },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((err: unknown) => this.logger.warn({ err, reason }, 'could not record an event'));
  }
}
