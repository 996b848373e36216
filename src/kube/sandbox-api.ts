// The sandbox namespace's pods, created under deterministic names (AlreadyExists is success) and
// deleted by the run's label selector (every attempt at once).
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { createIfAbsent, ignoreNotFound } from './api-errors.js';

export interface PodWarning {
  reason: string;
  message: string;
}

export class SandboxApi {
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async createPod(body: V1Pod): Promise<void> {
    await createIfAbsent(() => this.core.createNamespacedPod({ namespace: this.namespace, body }));
  }

  /** A quorum read of one pod, for when a cache miss would be decisive. */
  async readPod(name: string): Promise<V1Pod | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedPod({ name, namespace: this.namespace }));
  }

  /** Deletes every pod matching `labelSelector` (all attempts of one run). */
  async deleteAll(labelSelector: string): Promise<void> {
    await this.core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector, gracePeriodSeconds: 0 });
  }

  /**
   * The Warning events of one pod, oldest first. A kubelet may keep a container's status at
   * PodInitializing while the events already say why it cannot start (e.g. ErrImageNeverPull).
   */
  async podWarnings(podUid: string): Promise<PodWarning[]> {
    const events = await this.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.uid=${podUid},type=Warning` });
    return events.items
      .map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', at: new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime() }))
      .sort((a, b) => a.at - b.at)
      .map(({ reason, message }) => ({ reason, message }));
  }
}
