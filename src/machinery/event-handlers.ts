import type { InformerHandlers } from './informer.js';
import { objectKey, type KubeObjectLike } from './object-key.js';

/** Anything keys can be added to: a WorkQueue, or a Controller's queue. */
export interface KeySink {
  add(key: string): void;
}

/** Enqueues the key of every object that is added, changed or deleted. */
export function enqueueObject<T extends KubeObjectLike>(queue: KeySink): InformerHandlers<T> {
  const enqueue = (obj: T): void => queue.add(objectKey(obj));
  return { onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue };
}

/**
 * Enqueues the owner's key of every owned object that is added, changed or deleted (when an
 * update moves an object from one owner to another, both owners are enqueued). `ownerKey` is
 * usually controllerOwnerKey or labelOwnerKey from object-key; objects without an owner are ignored.
 */
export function enqueueOwner<T extends KubeObjectLike>(queue: KeySink, ownerKey: (obj: T) => string | undefined): InformerHandlers<T> {
  const enqueue = (obj: T): void => {
    const key = ownerKey(obj);
    if (key !== undefined) queue.add(key);
  };
  return {
    onAdd: enqueue,
    onUpdate: (obj, old) => {
      enqueue(obj);
      if (ownerKey(old) !== ownerKey(obj)) enqueue(old);
    },
    onDelete: enqueue,
  };
}
