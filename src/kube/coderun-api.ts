// Writes to CodeRun objects. Every write that decides something carries the resourceVersion the
// decision was made on: a stale cache gets 409 Conflict and a retry, never a second terminal
// status or a lost finalizer.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION } from '../crds/common.js';
import type { CodeRunStatus } from '../crds/coderun.js';
import { ignoreNotFound } from './api-errors.js';
import { mergePatch } from './merge-patch.js';

const PLURAL = 'coderuns';
const Written = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string() }) });

export interface RunIdentity {
  namespace: string;
  name: string;
  resourceVersion: string;
}

export class CodeRunApi {
  private readonly api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /**
   * Merges `status` into the run's status, if the run is still at `resourceVersion`; returns the
   * new resourceVersion, which guards a next write in the same reconcile (the warm path writes
   * Running, then the result).
   */
  async patchStatus(run: RunIdentity, status: CodeRunStatus): Promise<string> {
    const written: unknown = await this.api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: run.namespace,
        plural: PLURAL,
        name: run.name,
        body: { metadata: { resourceVersion: run.resourceVersion }, status },
      },
      mergePatch,
    );
    return Written.parse(written).metadata.resourceVersion;
  }

  /** Replaces the run's finalizers, if the run is still at `resourceVersion`; returns the new resourceVersion. */
  async setFinalizers(run: RunIdentity, finalizers: string[]): Promise<string> {
    const written: unknown = await this.api.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: run.namespace,
        plural: PLURAL,
        name: run.name,
        body: { metadata: { resourceVersion: run.resourceVersion, finalizers } },
      },
      mergePatch,
    );
    return Written.parse(written).metadata.resourceVersion;
  }

  async delete(run: { namespace: string; name: string }): Promise<void> {
    await ignoreNotFound(() => this.api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: run.namespace, plural: PLURAL, name: run.name }));
  }
}
