import { NamespaceLabels, OTHER_NAMESPACES } from './namespace-label.js';

describe('NamespaceLabels', () => {
  it.each([
    ['a namespace under the limit keeps its name', 2, ['cs101'], 'cs101'],
    ['the limit-th namespace keeps its name', 2, ['cs101', 'cs102'], 'cs102'],
    ['a namespace past the limit is counted as _other', 2, ['cs101', 'cs102', 'cs103'], OTHER_NAMESPACES],
    ['a known namespace keeps its name after the limit is reached', 2, ['cs101', 'cs102', 'cs103', 'cs101'], 'cs101'],
    ['a limit of 0 puts every namespace under _other', 0, ['cs101'], OTHER_NAMESPACES],
  ])('%s', (_name, limit, seen, expected) => {
    const labels = new NamespaceLabels(limit);
    const results = seen.map((ns) => labels.label(ns));
    expect(results.at(-1)).toBe(expected);
  });

  it('never hands out more than limit + 1 distinct values', () => {
    const labels = new NamespaceLabels(3);
    const values = new Set(Array.from({ length: 50 }, (_, i) => labels.label(`course-${i}`)));
    expect(values.size).toBe(4);
  });
});
