import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';

const dir = resolve(import.meta.dirname, '../../deploy/crds');

/** Creates or replaces coderun's CRDs from deploy/crds and waits until they are Established. */
export async function installCrds(kubeConfig: KubeConfig): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(resolve(dir, file), 'utf8')) as V1CustomResourceDefinition;
    const name = crd.metadata?.name ?? '';
    const existing = await api.readCustomResourceDefinition({ name }).catch(() => undefined);
    if (existing) {
      await api.replaceCustomResourceDefinition({ name, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    } else {
      await api.createCustomResourceDefinition({ body: crd });
    }
    for (let i = 0; ; i++) {
      const current = await api.readCustomResourceDefinition({ name });
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 100) throw new Error(`CRD ${name} did not become Established`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
