import type { V1Pod } from '@kubernetes/client-node';
import { ReadyOnce, readySeconds } from './pool-readiness.js';

const pod = (uid: string, created: string, readyAt?: string): V1Pod =>
  ({
    metadata: { uid, creationTimestamp: created },
    status: { conditions: readyAt === undefined ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] },
  }) as unknown as V1Pod;

describe('readySeconds', () => {
  it.each([
    ['a pod Ready 3 s after creation', pod('a', '2026-01-01T00:00:00Z', '2026-01-01T00:00:03Z'), 3],
    ['a pod not Ready yet', pod('a', '2026-01-01T00:00:00Z'), undefined],
    ['a clock skew that puts Ready before creation counts as 0', pod('a', '2026-01-01T00:00:05Z', '2026-01-01T00:00:03Z'), 0],
  ])('%s', (_name, input, expected) => {
    expect(readySeconds(input)).toBe(expected);
  });
});

describe('ReadyOnce', () => {
  it('reports each ready pod once, and a pod again only after it left the pool and came back', () => {
    const once = new ReadyOnce();
    const a = pod('a', '2026-01-01T00:00:00Z', '2026-01-01T00:00:02Z');
    const b = pod('b', '2026-01-01T00:00:00Z');
    const bReady = pod('b', '2026-01-01T00:00:00Z', '2026-01-01T00:00:04Z');
    expect(once.newlyReady('python3', [a, b])).toEqual([2]);
    expect(once.newlyReady('python3', [a, b])).toEqual([]);
    expect(once.newlyReady('python3', [a, bReady])).toEqual([4]);
    expect(once.newlyReady('cpp', [a])).toEqual([2]);
    expect(once.newlyReady('python3', [bReady])).toEqual([]);
    expect(once.newlyReady('python3', [a, bReady])).toEqual([2]);
  });
});
