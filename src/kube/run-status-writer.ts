// Status writes of the warm path, which makes two in one reconcile (Running before the exec, the
// result after): the second must be guarded by the version the first produced.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION } from '../crds/common.js';
import type { CodeRunStatus } from '../crds/coderun.js';
import type { RunIdentity } from './coderun-api.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const Written = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string() }) });

export class RunStatusWriter {
  private readonly api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Merges `status` if the run is still at `run.resourceVersion`; returns the new resourceVersion. */
  async patch(run: RunIdentity, status: CodeRunStatus): Promise<string> {
    const written: unknown = await this.api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: run.namespace, plural: 'coderuns', name: run.name, body: { metadata: { resourceVersion: run.resourceVersion }, status } },
      mergePatch,
    );
    return Written.parse(written).metadata.resourceVersion;
  }
}
