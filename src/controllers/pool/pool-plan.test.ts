import type { PoolPodView } from './observed-pool.js';
import { countPool, planPool, type PoolAction, type PoolObservation } from './pool-plan.js';

const NEW = 'h2';
const OLD = 'h1';

/** A pod in the cache (resourceVersion "rv-<name>"), or `pending`: created, not in the cache yet. */
function pod(name: string, state: PoolPodView['state'], hash = NEW, options: { pending?: boolean; createdAtMs?: number; runsServed?: number | undefined } = {}): PoolPodView {
  const runsServed = 'runsServed' in options ? options.runsServed : 0;
  return { name, state, templateHash: hash, resourceVersion: options.pending ? undefined : `rv-${name}`, createdAtMs: options.createdAtMs ?? 0, runsServed };
}
const del = (name: string, reason: Extract<PoolAction, { type: 'deletePod' }>['reason']): PoolAction => ({ type: 'deletePod', name, resourceVersion: `rv-${name}`, reason });
const create = (count: number, deferred = 0): PoolAction => ({ type: 'createPods', count, deferred });

const full = [pod('a', 'idle'), pod('b', 'idle'), pod('c', 'idle')];
const base: PoolObservation = { runtimeExists: true, desired: { replicas: 3, templateHash: NEW }, pods: full, statusPool: { desired: 3, ready: 3, idle: 3 }, startingBudget: Infinity };

describe('planPool', () => {
  const cases: Array<[string, Partial<PoolObservation>, PoolAction[]]> = [
    ['a full pool as desired: nothing to do', {}, []],
    ['a new pool: create every pod and report the counts', { pods: [], statusPool: undefined }, [create(3), { type: 'writeStatus', pool: { desired: 3, ready: 0, idle: 0 } }]],
    [
      'a claimed pod gets a replacement at once, and the claimed pod counts as ready',
      { pods: [pod('a', 'claimed'), pod('b', 'idle'), pod('c', 'idle')] },
      [create(1), { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } }],
    ],
    [
      'runsPerPod: a claimed pod that may come back keeps its place, no replacement is made',
      { desired: { replicas: 3, templateHash: NEW, runsPerPod: 5 }, pods: [pod('a', 'claimed', NEW, { runsServed: 3 }), pod('b', 'idle'), pod('c', 'idle')] },
      [{ type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } }],
    ],
    [
      'runsPerPod: a claimed pod on its last run is replaced at once',
      { desired: { replicas: 3, templateHash: NEW, runsPerPod: 5 }, pods: [pod('a', 'claimed', NEW, { runsServed: 4 }), pod('b', 'idle'), pod('c', 'idle')] },
      [create(1), { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } }],
    ],
    [
      'runsPerPod: a claimed pod with no valid count, or of an old template, is replaced at once',
      { desired: { replicas: 3, templateHash: NEW, runsPerPod: 5 }, pods: [pod('a', 'claimed', NEW, { runsServed: undefined }), pod('d', 'claimed', OLD), pod('b', 'idle'), pod('c', 'idle')] },
      [create(1), { type: 'writeStatus', pool: { desired: 3, ready: 4, idle: 2 } }],
    ],
    [
      'runsPerPod: a pod back in the pool next to the replacement made meanwhile: the newest goes',
      { desired: { replicas: 2, templateHash: NEW, runsPerPod: 5 }, pods: [pod('a', 'idle', NEW, { runsServed: 2, createdAtMs: 1 }), pod('b', 'idle', NEW, { createdAtMs: 2 }), pod('c', 'idle', NEW, { createdAtMs: 3 })] },
      [del('c', 'scaleDown'), { type: 'writeStatus', pool: { desired: 2, ready: 3, idle: 3 } }],
    ],
    [
      'stale cache: pods created but not seen yet count, so none is created twice',
      { pods: [pod('a', 'idle'), pod('x', 'starting', NEW, { pending: true }), pod('y', 'starting', NEW, { pending: true })], statusPool: { desired: 3, ready: 1, idle: 1 } },
      [],
    ],
    [
      'stale cache: only the pods not yet asked for are created',
      { pods: [pod('a', 'idle'), pod('x', 'starting', NEW, { pending: true })], statusPool: { desired: 3, ready: 1, idle: 1 } },
      [create(1)],
    ],
    [
      'a new template: idle and starting pods of the old one go first, then the new ones are created',
      { pods: [pod('a', 'idle', OLD), pod('b', 'idle', OLD), pod('c', 'starting', OLD)] },
      [del('a', 'oldTemplate'), del('b', 'oldTemplate'), del('c', 'oldTemplate'), create(3), { type: 'writeStatus', pool: { desired: 3, ready: 0, idle: 0 } }],
    ],
    [
      'during a roll: a claimed pod of the old template finishes its run, the rest is rolled',
      { pods: [pod('a', 'claimed', OLD), pod('b', 'idle', OLD), pod('c', 'idle'), pod('d', 'starting')], statusPool: { desired: 3, ready: 2, idle: 1 } },
      [del('b', 'oldTemplate'), create(1)],
    ],
    [
      'a scale-down removes starting pods first, then the newest idle ones',
      {
        desired: { replicas: 2, templateHash: NEW },
        pods: [pod('a', 'idle', NEW, { createdAtMs: 1 }), pod('b', 'idle', NEW, { createdAtMs: 3 }), pod('c', 'starting', NEW, { createdAtMs: 2 }), pod('d', 'idle', NEW, { createdAtMs: 2 })],
        statusPool: { desired: 2, ready: 3, idle: 3 },
      },
      [del('c', 'scaleDown'), del('b', 'scaleDown')],
    ],
    [
      'a scale-down never deletes a claimed pod (claimed pods are not part of the size)',
      { desired: { replicas: 1, templateHash: NEW }, pods: [pod('a', 'claimed'), pod('b', 'claimed'), pod('c', 'idle')], statusPool: { desired: 1, ready: 3, idle: 1 } },
      [],
    ],
    [
      'a scale-down leaves pods not in the cache yet to a later reconcile (no version to guard the delete)',
      { desired: { replicas: 1, templateHash: NEW }, pods: [pod('x', 'starting', NEW, { pending: true }), pod('y', 'starting', NEW, { pending: true })], statusPool: { desired: 1, ready: 0, idle: 0 } },
      [],
    ],
    ['replicas 0: every unclaimed pod goes, the pool stays', { desired: { replicas: 0, templateHash: NEW }, statusPool: { desired: 0, ready: 3, idle: 3 } }, [del('a', 'scaleDown'), del('b', 'scaleDown'), del('c', 'scaleDown')]],
    [
      'an ended (evicted) idle pod is deleted and replaced',
      { pods: [pod('a', 'ended'), pod('b', 'idle'), pod('c', 'idle')], statusPool: { desired: 3, ready: 2, idle: 2 } },
      [del('a', 'ended'), create(1)],
    ],
    ['only the counts changed: only the status', { pods: [pod('a', 'starting'), pod('b', 'idle'), pod('c', 'idle')] }, [{ type: 'writeStatus', pool: { desired: 3, ready: 2, idle: 2 } }]],
    [
      'warmPool removed: every unclaimed pod goes, claimed ones stay with their runs, the pool leaves the status',
      { desired: undefined, pods: [pod('a', 'idle'), pod('b', 'starting', OLD), pod('c', 'claimed'), pod('x', 'starting', NEW, { pending: true })] },
      [del('a', 'noPool'), del('b', 'noPool'), { type: 'writeStatus', pool: null }],
    ],
    [
      'the Runtime deleted: every unclaimed pod goes, claimed ones stay, no status to write',
      { runtimeExists: false, desired: undefined, statusPool: undefined, pods: [pod('a', 'idle'), pod('b', 'claimed')] },
      [del('a', 'noPool')],
    ],
    ['no pool and nothing left: nothing to do', { desired: undefined, pods: [], statusPool: undefined }, []],
    [
      'the refill waits for the starting budget: as many as it allows now, the rest deferred',
      { pods: [pod('a', 'claimed'), pod('b', 'claimed'), pod('c', 'idle')], startingBudget: 1 },
      [create(1, 1), { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 1 } }],
    ],
    [
      'no budget left (other pools are starting pods): every create deferred',
      { pods: [pod('a', 'claimed'), pod('b', 'idle'), pod('c', 'idle')], startingBudget: 0 },
      [create(0, 1), { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } }],
    ],
    [
      'a budget larger than the need creates only what is missing',
      { pods: [pod('a', 'claimed'), pod('b', 'idle'), pod('c', 'idle')], startingBudget: 5 },
      [create(1), { type: 'writeStatus', pool: { desired: 3, ready: 3, idle: 2 } }],
    ],
    [
      'the budget never delays a scale-down or an old template going',
      { pods: [pod('a', 'idle', OLD), pod('b', 'idle'), pod('c', 'idle'), pod('d', 'idle'), pod('e', 'idle', NEW, { createdAtMs: 5 })], startingBudget: 0 },
      [del('a', 'oldTemplate'), del('e', 'scaleDown'), { type: 'writeStatus', pool: { desired: 3, ready: 4, idle: 4 } }],
    ],
  ];
  it.each(cases)('%s', (_name, changes, expected) => {
    expect(planPool({ ...base, ...changes })).toEqual(expected);
  });
});

describe('countPool', () => {
  it('counts starting and idle pods of the current template, and claimed pods of any, and no ended pod', () => {
    const pods = [pod('a', 'idle'), pod('b', 'starting'), pod('c', 'claimed', OLD), pod('d', 'idle', OLD), pod('e', 'ended'), pod('f', 'starting', NEW, { pending: true })];
    expect(countPool(pods, NEW)).toEqual({ starting: 2, idle: 1, claimed: 1 });
  });
});
