import { objectKey, type KubeObjectLike } from './object-key.js';

export type CacheChange<T> = { type: 'add'; obj: T } | { type: 'update'; obj: T; old: T } | { type: 'delete'; obj: T };

/**
 * The informer's store, keyed "namespace/name". Every mutation returns the event it amounts to,
 * so a relist that re-delivers known objects produces no events for unchanged ones and a delete
 * for every object the fresh list no longer has.
 */
export class InformerCache<T extends KubeObjectLike> {
  private readonly objects = new Map<string, T>();

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  size(): number {
    return this.objects.size;
  }

  /** Stores `obj`; no change when the cached copy has the same resourceVersion. */
  upsert(obj: T): CacheChange<T> | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    const version = obj.metadata?.resourceVersion;
    if (old && version !== undefined && old.metadata?.resourceVersion === version) return undefined;
    this.objects.set(key, obj);
    return old ? { type: 'update', obj, old } : { type: 'add', obj };
  }

  /** Removes the object with `key`; the last known copy is the delete event's object. */
  remove(key: string): CacheChange<T> | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    return { type: 'delete', obj: old };
  }

  /** Removes every object whose key is not in `present` (objects deleted while not watching). */
  retainOnly(present: ReadonlySet<string>): CacheChange<T>[] {
    const changes: CacheChange<T>[] = [];
    for (const key of this.keys()) {
      if (present.has(key)) continue;
      const change = this.remove(key);
      if (change) changes.push(change);
    }
    return changes;
  }
}
