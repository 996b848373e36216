// The dedicated sandbox namespace and its default-deny NetworkPolicy: the outer layers of the
// sandbox (design.md). Pod Security `restricted` makes the API server itself refuse any pod there
// that is not locked down, whatever builds it.
import type { V1Namespace, V1NetworkPolicy } from '@kubernetes/client-node';

export const DEFAULT_DENY_POLICY = 'coderun-default-deny';

export function sandboxNamespace(name: string): V1Namespace & { metadata: { name: string } } {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/managed-by': 'coderun',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}

/** Selects every pod and allows nothing in or out: sandbox pods talk to no one. */
export function defaultDenyPolicy(namespace: string): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: DEFAULT_DENY_POLICY, namespace, labels: { 'app.kubernetes.io/managed-by': 'coderun' } },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}
