import { limitsAboveMax, resolveLimits } from './limits.js';
import { CPP, PYTHON3 } from './test-fixtures.js';

describe('resolveLimits', () => {
  test('no limits: the Runtime default', () => {
    expect(resolveLimits(undefined, PYTHON3)).toEqual({ run: PYTHON3.limits.default, compile: undefined });
  });

  test('each set limit replaces the default, the others stay', () => {
    expect(resolveLimits({ memoryMiB: 512, cpuTimeMillis: 1000 }, PYTHON3).run).toEqual({
      ...PYTHON3.limits.default,
      memoryMiB: 512,
      cpuTimeMillis: 1000,
    });
  });

  test('compile limits: the Runtime max when the compile step sets none', () => {
    expect(resolveLimits({ memoryMiB: 64 }, CPP).compile).toEqual(CPP.limits.max);
  });

  test("compile limits: the compile step's own when set, never the user's", () => {
    const own = { ...CPP.limits.max, memoryMiB: 900 };
    const runtime = { ...CPP, compile: { command: ['g++', 'main.cpp'], limits: own } };
    expect(resolveLimits({ memoryMiB: 64 }, runtime).compile).toEqual(own);
  });
});

describe('limitsAboveMax', () => {
  test.each([
    [undefined, []],
    [{ memoryMiB: 1024 }, []],
    [{ memoryMiB: 1025 }, [{ name: 'memoryMiB', requested: 1025, max: 1024 }]],
    [
      { processes: 65, cpuTimeMillis: 10001 },
      [
        { name: 'cpuTimeMillis', requested: 10001, max: 10000 },
        { name: 'processes', requested: 65, max: 64 },
      ],
    ],
  ])('%j', (requested, violations) => {
    expect(limitsAboveMax(requested, PYTHON3.limits.max)).toEqual(violations);
  });
});
