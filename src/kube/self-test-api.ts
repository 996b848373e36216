// Writes of the Runtime self-test controller: its CodeRuns (in the operator's namespace, owned by
// their Runtime, so deleting the Runtime deletes them) and the Runtime's status.conditions.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type Condition } from '../crds/common.js';
import type { CodeRunSpec } from '../crds/coderun.js';
import { createIfAbsent, ignoreNotFound } from './api-errors.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface RuntimeOwner {
  name: string;
  uid: string;
}

export class SelfTestApi {
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Creates the run unless it exists (its name is derived from what it tests). */
  async createRun(name: string, labels: Record<string, string>, owner: RuntimeOwner, spec: CodeRunSpec): Promise<void> {
    const metadata = {
      name,
      namespace: this.namespace,
      labels,
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'Runtime', name: owner.name, uid: owner.uid, controller: true }],
    };
    await createIfAbsent(() =>
      this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: 'coderuns', body: { apiVersion: API_VERSION, kind: 'CodeRun', metadata, spec } }),
    );
  }

  async deleteRun(name: string): Promise<void> {
    await ignoreNotFound(() => this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: 'coderuns', name }));
  }

  /** Replaces the Runtime's conditions (this controller is their only writer). */
  async patchRuntimeConditions(name: string, conditions: Condition[]): Promise<void> {
    await ignoreNotFound(() =>
      this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'runtimes', name, body: { status: { conditions } } }, mergePatch),
    );
  }
}
