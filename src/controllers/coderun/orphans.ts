// Sandbox objects no run needs any more: the run is gone, replaced, or finished. The finalizer and
// the finished run's reconcile normally delete them, but a run removed by force (finalizer
// stripped, namespace deleted) or an operator killed between steps can leave them. Decided here
// (pure); the sweep (sweeps.ts) runs when a replica starts leading, and periodically.
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { LABELS, RUN_NAME_ANNOTATION } from '../../sandbox/names.js';

/** The CodeRun key ("namespace/name") a sandbox object belongs to, from its annotation. */
export function ownerRunKey(meta: Pick<V1ObjectMeta, 'annotations'> | undefined): string | undefined {
  return meta?.annotations?.[RUN_NAME_ANNOTATION];
}

/**
 * The run UIDs whose sandbox objects must go: the run no longer needs them. `runUidOf(key)` gives
 * the UID of the run in the cache that still does (undefined when the run is gone or finished);
 * another UID means a new run with the same name replaced it.
 */
export function orphanedRunUids(objects: Array<Pick<V1ObjectMeta, 'annotations' | 'labels'> | undefined>, runUidOf: (key: string) => string | undefined): string[] {
  const orphans = new Set<string>();
  for (const meta of objects) {
    const uid = meta?.labels?.[LABELS.runUid];
    const owner = ownerRunKey(meta);
    if (uid === undefined || owner === undefined) continue;
    if (runUidOf(owner) !== uid) orphans.add(uid);
  }
  return [...orphans].sort();
}

/** What a claimed pool pod's run looks like in the cache: enough to decide whether the claim is stale. */
export type ClaimOwner = { kind: 'missing' } | { kind: 'terminal' } | { kind: 'live'; podName: string | undefined };

/**
 * Claimed pool pods that must go. At start (`atStart`), no exec of this process is in flight, so
 * every claim not recorded as its run's current pod is stale (its exec died with the old
 * process; the run retries in a fresh pod). Later, only claims of runs that are gone or finished:
 * a live run may be between its claim and its status write.
 */
export function staleClaims(claimed: readonly V1Pod[], ownerOf: (pod: V1Pod) => ClaimOwner, atStart: boolean): string[] {
  const out: string[] = [];
  for (const pod of claimed) {
    const name = pod.metadata?.name;
    if (name === undefined) continue;
    const owner = ownerOf(pod);
    const stale = owner.kind !== 'live' || (atStart && owner.podName !== name);
    if (stale) out.push(name);
  }
  return out.sort();
}
