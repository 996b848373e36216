import { orphanedRunUids, ownerRunKey } from './orphans.js';

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
