// The sandbox namespace's objects: job ConfigMaps and sandbox pods, created under deterministic
// names (AlreadyExists is success) and deleted by the run's label selector (every attempt at once).
import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
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

  async createConfigMap(body: V1ConfigMap): Promise<void> {
    await createIfAbsent(() => this.core.createNamespacedConfigMap({ namespace: this.namespace, body }));
  }

  async createPod(body: V1Pod): Promise<void> {
    await createIfAbsent(() => this.core.createNamespacedPod({ namespace: this.namespace, body }));
  }

  /** A quorum read of one pod, for when a cache miss would be decisive. */
  async readPod(name: string): Promise<V1Pod | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedPod({ name, namespace: this.namespace }));
  }

  async readConfigMap(name: string): Promise<V1ConfigMap | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedConfigMap({ name, namespace: this.namespace }));
  }

  /** The container's log, at most `limitBytes`: where the runner's result document is. */
  async readLog(pod: string, container: string, limitBytes: number): Promise<string | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedPodLog({ name: pod, namespace: this.namespace, container, limitBytes }));
  }

  /** Deletes every pod and ConfigMap matching `labelSelector` (all attempts of one run). */
  async deleteAll(labelSelector: string): Promise<void> {
    await Promise.all([
      this.core.deleteCollectionNamespacedPod({ namespace: this.namespace, labelSelector, gracePeriodSeconds: 0 }),
      this.core.deleteCollectionNamespacedConfigMap({ namespace: this.namespace, labelSelector }),
    ]);
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

  async listConfigMaps(labelSelector: string): Promise<V1ConfigMap[]> {
    return (await this.core.listNamespacedConfigMap({ namespace: this.namespace, labelSelector })).items;
  }
}
