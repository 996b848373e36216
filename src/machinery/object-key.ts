/** The metadata fields the machinery reads; every Kubernetes object has this shape. */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  ownerReferences?: ReadonlyArray<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
}

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for a cluster-scoped object. */
export function objectKey(obj: KubeObjectLike): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`object of kind ${obj.kind ?? '?'} has no metadata.name: cannot key it`);
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Inverse of objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1 && parts[0]) return { name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`invalid object key "${key}": expected "namespace/name" or "name"`);
}

/** The group part of an apiVersion ("coderun.dev/v1alpha1" -> "coderun.dev", "v1" -> ""). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The key of the object that controls `obj` through its controller ownerReference, when that
 * owner has the given kind and API group (versions may differ). The owner is taken to live in
 * `obj`'s namespace, as Kubernetes requires for namespaced owners; pass `clusterScoped` for a
 * cluster-scoped owner kind.
 */
export function controllerOwnerKey(
  obj: KubeObjectLike,
  owner: { group: string; kind: string; clusterScoped?: boolean },
): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== owner.group) return undefined;
  const namespace = owner.clusterScoped ? undefined : obj.metadata?.namespace;
  return namespace ? `${namespace}/${ref.name}` : ref.name;
}

/**
 * The owner key recorded in `obj`'s labels: used where an owner reference cannot be set, such as
 * a sandbox pod in another namespace than its CodeRun. Without `namespaceLabel` the owner is
 * cluster-scoped (or the caller's key is name only).
 */
export function labelOwnerKey(obj: KubeObjectLike, labels: { nameLabel: string; namespaceLabel?: string }): string | undefined {
  const all = obj.metadata?.labels ?? {};
  const name = all[labels.nameLabel];
  if (!name) return undefined;
  if (!labels.namespaceLabel) return name;
  const namespace = all[labels.namespaceLabel];
  return namespace ? `${namespace}/${name}` : undefined;
}
