// Reads the ConfigMaps and Secrets a CodeRun refers to, in the run's own namespace, with one
// quorum read each (a reference is read once per run, so a cluster-wide cache would cost more).
import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import { ignoreNotFound } from './api-errors.js';

/** An object a run refers to (its key is the caller's business). */
export interface ObjectReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
}

/** The referenced objects as the caller found them (informer cache or API read). */
export interface ReferencedObjects {
  configMap(name: string): V1ConfigMap | undefined;
  secret(name: string): V1Secret | undefined;
}

export class ReferenceReader {
  private readonly core: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async read(namespace: string, references: readonly ObjectReference[]): Promise<ReferencedObjects> {
    const configMaps = new Map<string, V1ConfigMap | undefined>();
    const secrets = new Map<string, V1Secret | undefined>();
    for (const ref of references) {
      if (ref.kind === 'ConfigMap' && !configMaps.has(ref.name)) {
        configMaps.set(ref.name, await ignoreNotFound(() => this.core.readNamespacedConfigMap({ name: ref.name, namespace })));
      }
      if (ref.kind === 'Secret' && !secrets.has(ref.name)) {
        secrets.set(ref.name, await ignoreNotFound(() => this.core.readNamespacedSecret({ name: ref.name, namespace })));
      }
    }
    return { configMap: (name) => configMaps.get(name), secret: (name) => secrets.get(name) };
  }
}
