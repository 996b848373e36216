import { controllerOwnerKey, labelOwnerKey, objectKey, splitKey } from './object-key.js';

describe('objectKey and splitKey', () => {
  it.each([
    [{ metadata: { name: 'run-1', namespace: 'judge' } }, 'judge/run-1', { namespace: 'judge', name: 'run-1' }],
    [{ metadata: { name: 'python3' } }, 'python3', { name: 'python3' }],
  ])('%j has key %s and splits back', (obj, key, parts) => {
    expect(objectKey(obj)).toBe(key);
    expect(splitKey(key)).toEqual(parts);
  });

  it('refuses an object without a name', () => {
    expect(() => objectKey({ kind: 'Pod', metadata: {} })).toThrow('object of kind Pod has no metadata.name');
  });

  it.each(['', '/', 'a/', '/b', 'a/b/c'])('refuses the malformed key %j', (key) => {
    expect(() => splitKey(key)).toThrow(`invalid object key "${key}"`);
  });
});

describe('controllerOwnerKey', () => {
  const owned = (refs: Array<{ apiVersion: string; kind: string; name: string; controller?: boolean }>) => ({
    metadata: { name: 'cm', namespace: 'judge', ownerReferences: refs },
  });
  const coderun = { group: 'coderun.dev', kind: 'CodeRun' };

  it.each([
    ['the controller owner of that kind', [{ apiVersion: 'coderun.dev/v1alpha1', kind: 'CodeRun', name: 'run-1', controller: true }], 'judge/run-1'],
    ['a controller owner of another API version of the group', [{ apiVersion: 'coderun.dev/v1', kind: 'CodeRun', name: 'run-1', controller: true }], 'judge/run-1'],
    ['an owner that is not the controller', [{ apiVersion: 'coderun.dev/v1alpha1', kind: 'CodeRun', name: 'run-1' }], undefined],
    ['a controller of another kind', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', controller: true }], undefined],
    ['the same kind in another group', [{ apiVersion: 'other.io/v1', kind: 'CodeRun', name: 'x', controller: true }], undefined],
    ['no owners', [], undefined],
  ])('finds %s', (_what, refs, expected) => {
    expect(controllerOwnerKey(owned(refs), coderun)).toBe(expected);
  });

  it('keys a cluster-scoped owner by name only', () => {
    const pod = { metadata: { name: 'p', namespace: 'sandbox', ownerReferences: [{ apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', name: 'python3', controller: true }] } };
    expect(controllerOwnerKey(pod, { group: 'coderun.dev', kind: 'Runtime', clusterScoped: true })).toBe('python3');
  });
});

describe('labelOwnerKey', () => {
  const labels = { nameLabel: 'coderun.dev/run', namespaceLabel: 'coderun.dev/run-namespace' };
  it.each([
    [{ 'coderun.dev/run': 'run-1', 'coderun.dev/run-namespace': 'judge' }, 'judge/run-1'],
    [{ 'coderun.dev/run': 'run-1' }, undefined],
    [{ 'coderun.dev/run-namespace': 'judge' }, undefined],
    [{}, undefined],
  ])('labels %j give owner %s', (podLabels, expected) => {
    expect(labelOwnerKey({ metadata: { name: 'p', namespace: 'sandbox', labels: podLabels } }, labels)).toBe(expected);
  });

  it('reads a cluster-scoped owner from one label', () => {
    expect(labelOwnerKey({ metadata: { labels: { 'coderun.dev/runtime': 'cpp' } } }, { nameLabel: 'coderun.dev/runtime' })).toBe('cpp');
  });
});
