import { areaOf, summarizeCpuProfile } from './cpu-profile-summary.js';

describe('areaOf', () => {
  test.each([
    { url: 'file:///app/node_modules/@kubernetes/client-node/dist/gen/x.js', fn: 'f', area: '@kubernetes/client-node' },
    { url: 'file:///app/node_modules/zod/v4/core.js', fn: 'parse', area: 'zod' },
    { url: 'file:///app/dist/controllers/coderun/verdict.js', fn: 'judge', area: 'coderun controllers' },
    { url: 'node:internal/streams/readable', fn: 'push', area: 'node internals' },
    { url: '', fn: '(garbage collector)', area: '(garbage collector)' },
    { url: '', fn: 'writev', area: '(native)' },
  ])('$url $fn -> $area', ({ url, fn, area }) => expect(areaOf(url, fn)).toBe(area));
});

test('summarizeCpuProfile adds the sample deltas up per function and area, leaving idle out', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('(idle)', '') },
      { id: 3, callFrame: frame('parse', 'file:///app/node_modules/zod/v4/core.js') },
      { id: 4, callFrame: frame('judge', 'file:///app/dist/controllers/coderun/verdict.js') },
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [2, 3, 3, 4, 2],
    timeDeltas: [1000, 2000, 3000, 500, 3500],
  };
  expect(summarizeCpuProfile(profile)).toEqual({
    wallMs: 10,
    busyMs: 5.5,
    byArea: [
      { area: 'zod', selfMs: 5, share: 0.909 },
      { area: 'coderun controllers', selfMs: 0.5, share: 0.091 },
    ],
    topFunctions: [
      { function: 'parse node_modules/zod/v4/core.js:10', area: 'zod', selfMs: 5 },
      { function: 'judge dist/controllers/coderun/verdict.js:10', area: 'coderun controllers', selfMs: 0.5 },
    ],
  });
});

test('summarizeCpuProfile refuses what is not a CPU profile', () => {
  expect(() => summarizeCpuProfile({ nodes: 'no' })).toThrow();
});
