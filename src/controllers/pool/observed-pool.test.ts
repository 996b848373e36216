import type { V1Pod } from '@kubernetes/client-node';
import { cachedNames, poolPodViews, poolPodsOf, type PoolPodView } from './observed-pool.js';

interface Shape {
  name: string;
  runtime?: string;
  component?: string;
  state?: 'idle' | 'claimed';
  phase?: string;
  ready?: boolean;
  deleting?: boolean;
}

function pod(p: Shape): V1Pod {
  return {
    metadata: {
      name: p.name,
      resourceVersion: `rv-${p.name}`,
      creationTimestamp: new Date(1000),
      labels: {
        'app.kubernetes.io/component': p.component ?? 'pool',
        'coderun.dev/runtime': p.runtime ?? 'python3',
        'coderun.dev/pool-state': p.state ?? 'idle',
        'coderun.dev/pool-spec': 'h',
      },
      ...(p.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    status: { phase: p.phase ?? 'Running', conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }] },
  };
}
const view = (name: string, state: PoolPodView['state']): PoolPodView => ({ name, state, resourceVersion: `rv-${name}`, templateHash: 'h', createdAtMs: 1000, runsServed: 0 });

describe('poolPodsOf', () => {
  it('keeps the pool pods of one Runtime', () => {
    const pods = [pod({ name: 'a' }), pod({ name: 'b', runtime: 'cpp' }), pod({ name: 'c', component: 'sandbox' }), pod({ name: 'd', deleting: true })];
    expect(poolPodsOf(pods, 'python3').map((p) => p.metadata?.name)).toEqual(['a', 'd']);
  });
});

describe('poolPodViews', () => {
  it('tells starting, idle, claimed and ended pods apart', () => {
    const pods = [
      pod({ name: 'a' }),
      pod({ name: 'b', ready: false, phase: 'Pending' }),
      pod({ name: 'c', state: 'claimed' }),
      pod({ name: 'd', phase: 'Failed', ready: false }),
      pod({ name: 'e', ready: false }),
    ];
    expect(poolPodViews(pods, { creates: [], deletes: new Set() })).toEqual([view('a', 'idle'), view('b', 'starting'), view('c', 'claimed'), view('d', 'ended'), view('e', 'starting')]);
  });

  it('drops pods being deleted or deleted by us, and adds the ones created but not cached yet as starting', () => {
    const pods = [pod({ name: 'a' }), pod({ name: 'b', deleting: true }), pod({ name: 'c' })];
    const pending = { creates: [{ name: 'x', uid: 7, templateHash: 'h2', atMs: 5 }], deletes: new Set(['c']) };
    expect(poolPodViews(pods, pending)).toEqual([view('a', 'idle'), { name: 'x', state: 'starting', resourceVersion: undefined, templateHash: 'h2', createdAtMs: 5, runsServed: 0 }]);
  });
});

describe('cachedNames', () => {
  it('all pods, and the ones not being deleted', () => {
    expect(cachedNames([pod({ name: 'a' }), pod({ name: 'b', deleting: true })])).toEqual({ all: new Set(['a', 'b']), live: new Set(['a']) });
  });
});
