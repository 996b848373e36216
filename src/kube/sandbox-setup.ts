// Namespaces the operator needs. The sandbox namespace gets its Pod Security labels and its
// default-deny policy; run at start by the leader (idempotent: what a chart created stays).
import { CoreV1Api, NetworkingV1Api, type KubeConfig, type V1Namespace, type V1NetworkPolicy } from '@kubernetes/client-node';
import { createIfAbsent } from './api-errors.js';
import { mergePatch } from './merge-patch.js';

export async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await createIfAbsent(() => core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }));
}

/** `namespace` and `policy` in it (sandbox/namespace.ts builds them). */
export async function ensureSandboxNamespace(kubeConfig: KubeConfig, namespace: V1Namespace & { metadata: { name: string } }, policy: V1NetworkPolicy): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const name = namespace.metadata.name;
  await createIfAbsent(() => core.createNamespace({ body: namespace }));
  // An existing namespace gets the Pod Security labels too (a merge patch keeps other labels).
  await core.patchNamespace(
    { name, body: { metadata: { labels: namespace.metadata?.labels } } },
    mergePatch,
  );
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  await createIfAbsent(() => networking.createNamespacedNetworkPolicy({ namespace: name, body: policy }));
}
