import { InformerCache } from './informer-cache.js';

const cm = (namespace: string, name: string, resourceVersion: string) => ({ metadata: { namespace, name, resourceVersion } });

describe('InformerCache', () => {
  it('reports an add for a new object and an update, with the old copy, for a new version', () => {
    const cache = new InformerCache();
    expect(cache.upsert(cm('a', 'x', '1'))).toEqual({ type: 'add', obj: cm('a', 'x', '1') });
    expect(cache.upsert(cm('a', 'x', '2'))).toEqual({ type: 'update', obj: cm('a', 'x', '2'), old: cm('a', 'x', '1') });
    expect(cache.get('a/x')).toEqual(cm('a', 'x', '2'));
  });

  it('reports nothing when a relist re-delivers an unchanged object', () => {
    const cache = new InformerCache();
    cache.upsert(cm('a', 'x', '1'));
    expect(cache.upsert(cm('a', 'x', '1'))).toBeUndefined();
  });

  it('on a relist, deletes exactly the objects the fresh list no longer has', () => {
    const cache = new InformerCache();
    cache.upsert(cm('a', 'keep', '1'));
    cache.upsert(cm('a', 'gone', '2'));
    cache.upsert(cm('b', 'gone', '3'));
    const changes = cache.retainOnly(new Set(['a/keep']));
    expect(changes).toEqual([
      { type: 'delete', obj: cm('a', 'gone', '2') },
      { type: 'delete', obj: cm('b', 'gone', '3') },
    ]);
    expect(cache.keys()).toEqual(['a/keep']);
  });

  it('lists all objects or one namespace', () => {
    const cache = new InformerCache();
    cache.upsert(cm('a', 'x', '1'));
    cache.upsert(cm('b', 'y', '1'));
    expect(cache.list().length).toBe(2);
    expect(cache.list('b')).toEqual([cm('b', 'y', '1')]);
    expect(cache.list('c')).toEqual([]);
  });

  it('remove of an unknown key reports nothing', () => {
    expect(new InformerCache().remove('a/x')).toBeUndefined();
  });
});
