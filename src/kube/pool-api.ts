// Writes for warm pools: pool pods (created, claimed, deleted), and the Runtime's status.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION } from '../crds/common.js';
import type { RuntimeStatus } from '../crds/runtime.js';
import { createIfAbsent, ignoreNotFound, statusCode } from './api-errors.js';
import { mergePatch } from './merge-patch.js';

export interface ClaimRequest {
  podName: string;
  /** The version the claimer saw the pod idle at: the claim succeeds only on that version. */
  resourceVersion: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ReleaseRequest {
  podName: string;
  /** The version the pod was read at when the release was decided. */
  resourceVersion: string;
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
  owner: V1OwnerReference;
}

const RuntimeObjectShape = z.looseObject({ metadata: z.looseObject({ name: z.string().optional(), uid: z.string().optional() }), spec: z.unknown() });

export class PoolApi {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async createPod(body: V1Pod): Promise<void> {
    await createIfAbsent(() => this.core.createNamespacedPod({ namespace: this.namespace, body }));
  }

  /**
   * Deletes an unclaimed pool pod, only at the resourceVersion it was seen unclaimed at: a claim in
   * between changed the version, and the delete fails with 409 instead of taking the pod from its
   * run. False when the pod changed or is gone.
   */
  async deleteUnclaimedPod(name: string, resourceVersion: string): Promise<boolean> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0, body: { preconditions: { resourceVersion } } });
      return true;
    } catch (err) {
      const code = statusCode(err);
      if (code === 409 || code === 404) return false;
      throw err;
    }
  }

  /**
   * Claims a pool pod: one merge patch of its labels that carries the resourceVersion it was seen
   * idle at, so the API server applies it only if nobody changed the pod since. Of any number of
   * concurrent claimers exactly one wins; the others get 409 Conflict (or 404: already deleted).
   * The same patch removes the pod's ownerReference to its Runtime: a claimed pod belongs to its
   * run, and the garbage collector must not delete it with the Runtime.
   * Returns the claimed pod, or undefined when the claim was lost.
   */
  async claimPod(claim: ClaimRequest): Promise<V1Pod | undefined> {
    return this.patchAtVersion(claim.podName, { resourceVersion: claim.resourceVersion, labels: claim.labels, annotations: claim.annotations, ownerReferences: null });
  }

  /**
   * Returns a pool pod whose run ended cleanly to its pool (warmPool.runsPerPod): one merge patch
   * at the resourceVersion it was read at, which makes it idle, removes its run's labels and puts
   * back its Runtime's ownerReference. False when the pod changed or is gone (then nothing was
   * written and it must be deleted).
   */
  async releasePod(release: ReleaseRequest): Promise<boolean> {
    const { podName, resourceVersion, labels, annotations, owner } = release;
    return (await this.patchAtVersion(podName, { resourceVersion, labels, annotations, ownerReferences: [owner] })) !== undefined;
  }

  /** A merge patch of a pod's metadata that carries a resourceVersion: undefined when the pod changed since (409) or is gone. */
  private async patchAtVersion(name: string, metadata: Record<string, unknown> & { resourceVersion: string }): Promise<V1Pod | undefined> {
    try {
      return await this.core.patchNamespacedPod({ name, namespace: this.namespace, body: { metadata } }, mergePatch);
    } catch (err) {
      const code = statusCode(err);
      if (code === 409 || code === 404) return undefined;
      throw err;
    }
  }

  /** A quorum read of one pod; undefined when it is gone. */
  async readPod(name: string): Promise<V1Pod | undefined> {
    return ignoreNotFound(() => this.core.readNamespacedPod({ name, namespace: this.namespace }));
  }

  /**
   * Deletes a pool pod; with `resourceVersion`, only if it is unchanged since it was seen at that
   * version (a pod returned to its pool and claimed again since is left alone: 409 is ignored).
   */
  async deletePod(name: string, resourceVersion?: string): Promise<void> {
    const body = resourceVersion === undefined ? undefined : { preconditions: { resourceVersion } };
    try {
      await ignoreNotFound(() => this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0, ...(body ? { body } : {}) }));
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
  }

  async listPods(labelSelector: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector })).items;
  }

  /**
   * A quorum read of one Runtime, for when the cache has none: a Runtime created just before its
   * first CodeRun may not have reached the cache yet, and "no such Runtime" is final for a run.
   */
  async readRuntime(name: string): Promise<{ metadata: { name?: string; uid?: string }; spec: unknown } | undefined> {
    const found = await ignoreNotFound(() => this.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural: 'runtimes', name }));
    const parsed = RuntimeObjectShape.safeParse(found);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Merges the pool counts into the Runtime's status; null removes them. Last writer wins: they
   * are observations, recomputed on every pool event.
   */
  async patchRuntimePool(name: string, pool: RuntimeStatus['pool'] | null): Promise<void> {
    await ignoreNotFound(() =>
      this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'runtimes', name, body: { status: { pool } } }, mergePatch),
    );
  }
}
