import { PoolExpectations, type CachedNames } from './pool-expectations.js';

const TTL = 1000;
const cache = (all: string[], live: string[] = all): CachedNames => ({ all: new Set(all), live: new Set(live) });
const created = (name: string, uid: number, atMs = 0) => ({ name, uid, templateHash: 'h', atMs });

describe('PoolExpectations', () => {
  it('a created pod is pending until the cache shows it (even already being deleted), then forgotten', () => {
    const e = new PoolExpectations(TTL);
    e.expectCreate('py', created('a', 1));
    e.expectCreate('py', created('b', 2));
    expect(e.pending('py', cache([]), 10)).toEqual({ creates: [created('a', 1), created('b', 2)], deletes: new Set(), expiresAtMs: TTL });
    expect(e.pending('py', cache(['a', 'b'], ['a']), 20).creates).toEqual([]);
    expect(e.uidsInFlight()).toEqual([]);
  });

  it('a deleted pod is pending while the cache still shows it live', () => {
    const e = new PoolExpectations(TTL);
    e.expectDelete('py', 'a', 0);
    expect(e.pending('py', cache(['a']), 10).deletes).toEqual(new Set(['a']));
    expect(e.pending('py', cache(['a'], []), 20).deletes).toEqual(new Set());
    expect(e.pending('py', cache(['a']), 30).deletes).toEqual(new Set());
  });

  it('a failed create is forgotten at once', () => {
    const e = new PoolExpectations(TTL);
    e.expectCreate('py', created('a', 1));
    e.createFailed('py', 'a');
    expect(e.pending('py', cache([]), 10).creates).toEqual([]);
  });

  it('an expectation the cache never meets expires after the TTL', () => {
    const e = new PoolExpectations(TTL);
    e.expectCreate('py', created('a', 1, 0));
    e.expectDelete('py', 'b', 500);
    expect(e.pending('py', cache(['b']), 999)).toEqual({ creates: [created('a', 1, 0)], deletes: new Set(['b']), expiresAtMs: TTL });
    expect(e.pending('py', cache(['b']), TTL)).toEqual({ creates: [], deletes: new Set(['b']), expiresAtMs: 500 + TTL });
    expect(e.pending('py', cache(['b']), 500 + TTL)).toEqual({ creates: [], deletes: new Set(), expiresAtMs: undefined });
  });

  it('keeps Runtimes apart, and reports the uids in flight of all of them', () => {
    const e = new PoolExpectations(TTL);
    e.expectCreate('py', created('a', 1));
    e.expectCreate('cpp', created('b', 2));
    expect(e.pending('py', cache([]), 0).creates.map((c) => c.name)).toEqual(['a']);
    expect(e.uidsInFlight().sort()).toEqual([1, 2]);
  });

  it('counts the creates of every Runtime that the cache does not show yet', () => {
    const e = new PoolExpectations(TTL);
    e.expectCreate('py', created('a', 1));
    e.expectCreate('py', created('b', 2));
    e.expectCreate('cpp', created('c', 3));
    expect(e.createsNotIn(new Set())).toBe(3);
    expect(e.createsNotIn(new Set(['a', 'c', 'other']))).toBe(1);
  });
});
