import { enqueueObject, enqueueOwner } from './event-handlers.js';
import { labelOwnerKey, type KubeObjectLike } from './object-key.js';

function sink(): { add(key: string): void; keys: string[] } {
  const keys: string[] = [];
  return { keys, add: (key) => keys.push(key) };
}

const run = { metadata: { namespace: 'judge', name: 'run-1' } };
const pod = (owner: string | undefined): KubeObjectLike => {
  const labels: Record<string, string> = owner ? { 'coderun.dev/run': owner, 'coderun.dev/run-namespace': 'judge' } : {};
  return { metadata: { namespace: 'sandbox', name: 'p', labels } };
};
const owner = (obj: KubeObjectLike) => labelOwnerKey(obj, { nameLabel: 'coderun.dev/run', namespaceLabel: 'coderun.dev/run-namespace' });

describe('enqueueObject', () => {
  it('enqueues the object key on add, update and delete', () => {
    const queue = sink();
    const h = enqueueObject(queue);
    h.onAdd?.(run);
    h.onUpdate?.(run, run);
    h.onDelete?.(run);
    expect(queue.keys).toEqual(['judge/run-1', 'judge/run-1', 'judge/run-1']);
  });
});

describe('enqueueOwner', () => {
  it('enqueues the owner of an owned object and ignores objects without one', () => {
    const queue = sink();
    const h = enqueueOwner(queue, owner);
    h.onAdd?.(pod('run-1'));
    h.onDelete?.(pod('run-1'));
    h.onAdd?.(pod(undefined));
    expect(queue.keys).toEqual(['judge/run-1', 'judge/run-1']);
  });

  it('enqueues both owners when an update moves an object to another owner', () => {
    const queue = sink();
    enqueueOwner(queue, owner).onUpdate?.(pod('run-2'), pod('run-1'));
    expect(queue.keys).toEqual(['judge/run-2', 'judge/run-1']);
  });
});
