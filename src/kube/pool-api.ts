// Writes for warm pools: the pool Deployment, claims of pool pods, and the Runtime's status.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION } from '../crds/common.js';
import type { RuntimeStatus } from '../crds/runtime.js';
import { createIfAbsent, ignoreNotFound, statusCode } from './api-errors.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface ClaimRequest {
  podName: string;
  /** The version the claimer saw the pod idle at: the claim succeeds only on that version. */
  resourceVersion: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const RuntimeObjectShape = z.looseObject({ metadata: z.looseObject({ name: z.string().optional(), uid: z.string().optional() }), spec: z.unknown() });

export class PoolApi {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async createDeployment(body: V1Deployment): Promise<void> {
    await createIfAbsent(() => this.apps.createNamespacedDeployment({ namespace: this.namespace, body }));
  }

  /** Replaces the Deployment; `body.metadata.resourceVersion` makes a stale cache fail with 409. */
  async replaceDeployment(body: V1Deployment): Promise<void> {
    const name = body.metadata?.name ?? '';
    await this.apps.replaceNamespacedDeployment({ name, namespace: this.namespace, body });
  }

  async deleteDeployment(name: string): Promise<void> {
    await ignoreNotFound(() => this.apps.deleteNamespacedDeployment({ name, namespace: this.namespace }));
  }

  /**
   * Claims a pool pod: one merge patch of its labels that carries the resourceVersion it was seen
   * idle at, so the API server applies it only if nobody changed the pod since. Of any number of
   * concurrent claimers exactly one wins; the others get 409 Conflict (or 404: already deleted).
   * Returns the claimed pod, or undefined when the claim was lost.
   */
  async claimPod(claim: ClaimRequest): Promise<V1Pod | undefined> {
    try {
      return await this.core.patchNamespacedPod(
        {
          name: claim.podName,
          namespace: this.namespace,
          body: { metadata: { resourceVersion: claim.resourceVersion, labels: claim.labels, annotations: claim.annotations } },
        },
        mergePatch,
      );
    } catch (err) {
      const code = statusCode(err);
      if (code === 409 || code === 404) return undefined;
      throw err;
    }
  }

  async deletePod(name: string): Promise<void> {
    await ignoreNotFound(() => this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 }));
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
