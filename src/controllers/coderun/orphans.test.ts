import type { V1Pod } from '@kubernetes/client-node';
import { orphanedRunUids, ownerRunKey, staleClaims, type ClaimOwner } from './orphans.js';

const pod = (p: { name: string; state: 'claimed' }): V1Pod => ({ metadata: { name: p.name, labels: { 'coderun.dev/pool-state': p.state } } });

const child = (owner: string, uid: string) => ({ annotations: { 'coderun.dev/run-name': owner }, labels: { 'coderun.dev/run-uid': uid } });

test('the owner key comes from the annotation (labels are cut at 63 characters)', () => {
  expect(ownerRunKey(child('judge/a-very-long-name', 'u1'))).toBe('judge/a-very-long-name');
  expect(ownerRunKey({})).toBeUndefined();
});

test.each<[string, ReturnType<typeof child>[], Record<string, string>, string[]]>([
  ['children of live runs stay', [child('j/a', 'u1'), child('j/b', 'u2')], { 'j/a': 'u1', 'j/b': 'u2' }, []],
  ['children of a deleted run go, once per run', [child('j/a', 'u1'), child('j/a', 'u1'), child('j/b', 'u2')], { 'j/b': 'u2' }, ['u1']],
  ['children of an older run with the same name go', [child('j/a', 'old')], { 'j/a': 'new' }, ['old']],
])('%s', (_name, objects, runs, expected) => {
  expect(orphanedRunUids(objects, (key) => runs[key])).toEqual(expected);
});

test('objects that are not a run\'s children are ignored', () => {
  expect(orphanedRunUids([{ labels: { app: 'x' } }, undefined], () => undefined)).toEqual([]);
});

describe('staleClaims', () => {
  const claimed = ['p-missing', 'p-terminal', 'p-current', 'p-other'].map((name) => pod({ name, state: 'claimed' }));
  const owners: Record<string, ClaimOwner> = {
    'p-missing': { kind: 'missing' },
    'p-terminal': { kind: 'terminal' },
    'p-current': { kind: 'live', podName: 'p-current' },
    'p-other': { kind: 'live', podName: undefined },
  };
  const ownerOf = (p: V1Pod): ClaimOwner => owners[p.metadata?.name ?? ''] ?? { kind: 'missing' };
  it('at start, every claim its run does not record as its current pod is stale', () => {
    expect(staleClaims(claimed, ownerOf, true)).toEqual(['p-missing', 'p-other', 'p-terminal']);
  });
  it('later, only claims of gone or finished runs: a live run may be between claim and status write', () => {
    expect(staleClaims(claimed, ownerOf, false)).toEqual(['p-missing', 'p-terminal']);
  });
});
