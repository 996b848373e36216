// Sandbox objects whose CodeRun is gone: the finalizer normally prevents this, but a run removed
// by force (finalizer stripped, namespace deleted) or a crash between steps can leave them. The
// sweep runs when a replica starts leading, and periodically.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { LABELS, RUN_NAME_ANNOTATION } from '../../sandbox/names.js';

/** The CodeRun key ("namespace/name") a sandbox object belongs to, from its annotation. */
export function ownerRunKey(meta: Pick<V1ObjectMeta, 'annotations'> | undefined): string | undefined {
  return meta?.annotations?.[RUN_NAME_ANNOTATION];
}

/**
 * The run UIDs whose sandbox objects must go: the run no longer exists, or a new run with the
 * same name (another UID) replaced it. `runUidOf(key)` gives the UID of the run in the cache.
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
