import type { V1Pod } from '@kubernetes/client-node';
import { chooseStartPath, claimCandidates, ownClaim, type StartPath, type StartPathInput } from './claim-choice.js';

const HASH = 'abc123';

interface PodShape {
  name: string;
  runtime?: string;
  state?: 'idle' | 'claimed';
  ready?: boolean;
  hash?: string;
  deleting?: boolean;
  runUid?: string;
  attempt?: number;
  component?: string;
}

function pod(p: PodShape): V1Pod {
  const labels: Record<string, string> = {
    'app.kubernetes.io/managed-by': 'coderun',
    'app.kubernetes.io/component': p.component ?? 'pool',
    'coderun.dev/runtime': p.runtime ?? 'python3',
    'coderun.dev/pool-state': p.state ?? 'idle',
    'coderun.dev/pool-spec': p.hash ?? HASH,
  };
  if (p.runUid) labels['coderun.dev/run-uid'] = p.runUid;
  if (p.attempt) labels['coderun.dev/attempt'] = String(p.attempt);
  const ready = p.ready ?? true;
  return {
    metadata: { name: p.name, labels, resourceVersion: '1', ...(p.deleting ? { deletionTimestamp: new Date() } : {}) },
    status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}
const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name);

describe('claimCandidates', () => {
  const cases: Array<[string, PodShape[], number, string[]]> = [
    ['an empty pool gives nothing', [], 0, []],
    ['idle Ready pods, by name', [{ name: 'b' }, { name: 'a' }], 0, ['a', 'b']],
    ['a pod that is not Ready yet is skipped', [{ name: 'a', ready: false }, { name: 'b' }], 0, ['b']],
    ['a claimed pod is never a candidate', [{ name: 'a', state: 'claimed' }, { name: 'b' }], 0, ['b']],
    ['a pod being deleted is skipped', [{ name: 'a', deleting: true }, { name: 'b' }], 0, ['b']],
    ['another Runtime\'s pool is skipped', [{ name: 'a', runtime: 'cpp' }, { name: 'b' }], 0, ['b']],
    ['a pod of the old template (during a roll) is skipped', [{ name: 'a', hash: 'old' }, { name: 'b' }], 0, ['b']],
    ['a cold sandbox pod is skipped', [{ name: 'a', component: 'sandbox' }, { name: 'b' }], 0, ['b']],
    ['spread rotates the starting point', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], 4, ['b', 'c', 'a']],
    ['a negative spread works too', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], -2, ['c', 'a', 'b']],
  ];
  it.each(cases)('%s', (_name, pods, spread, expected) => {
    expect(names(claimCandidates(pods.map(pod), 'python3', HASH, spread))).toEqual(expected);
  });

  const withSessions: Array<[string, string[], number, string[], string[]]> = [
    ['pods with an exec opened ahead come first, each group in spread order', ['a', 'b', 'c', 'd'], 1, ['a', 'c'], ['c', 'a', 'b', 'd']],
    ['no sessions: the spread order alone', ['a', 'b', 'c'], 1, [], ['b', 'c', 'a']],
    ['every pod has one: the spread order alone', ['a', 'b', 'c'], 2, ['a', 'b', 'c'], ['c', 'a', 'b']],
    ['a session on a pod that is not a candidate changes nothing', ['a', 'b'], 0, ['z'], ['a', 'b']],
  ];
  it.each(withSessions)('%s', (_name, podNames, spread, sessions, expected) => {
    const has = (name: string) => sessions.includes(name);
    expect(names(claimCandidates(podNames.map((name) => pod({ name })), 'python3', HASH, spread, has))).toEqual(expected);
  });
});

describe('ownClaim', () => {
  const pods = [pod({ name: 'idle' }), pod({ name: 'mine-1', state: 'claimed', runUid: 'u1', attempt: 1 }), pod({ name: 'mine-2', state: 'claimed', runUid: 'u1', attempt: 2 })];
  it.each([
    ['finds the pod claimed for this attempt', 'u1', 2, 'mine-2'],
    ['an earlier attempt\'s pod is not this attempt\'s', 'u1', 3, undefined],
    ['another run\'s claim is not ours', 'u2', 1, undefined],
  ])('%s', (_name, uid, attempt, expected) => {
    expect(ownClaim(pods, uid, attempt)?.metadata?.name).toBe(expected);
  });
});

describe('chooseStartPath', () => {
  const base: StartPathInput = { hasPool: true, idle: 0, waitedMs: 0, warmWaitMs: 0 };
  const cases: Array<[string, Partial<StartPathInput>, StartPath]> = [
    ['no pool: cold', { hasPool: false, idle: 3 }, { kind: 'cold' }],
    ['an idle pod: warm', { idle: 1 }, { kind: 'warm' }],
    ['no idle pod and no wait configured: cold at once', {}, { kind: 'cold' }],
    ['no idle pod within the wait bound: look again soon', { warmWaitMs: 2000, waitedMs: 500 }, { kind: 'wait', ms: 100 }],
    ['the last bit of the wait bound', { warmWaitMs: 2000, waitedMs: 1970 }, { kind: 'wait', ms: 30 }],
    ['the wait bound has passed: cold', { warmWaitMs: 2000, waitedMs: 2000 }, { kind: 'cold' }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(chooseStartPath({ ...base, ...input })).toEqual(expected);
  });
});
