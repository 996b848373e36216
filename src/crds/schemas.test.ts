import { CodeRunSpecSchema } from './coderun.js';
import { RuntimeSpecSchema } from './runtime.js';
import { RELATIVE_PATH } from './common.js';

const base = { runtime: 'python3', source: { inline: 'print(1)' } };

describe('CodeRun spec', () => {
  test.each<[string, unknown]>([
    ['the smallest run', base],
    ['source from a ConfigMap', { runtime: 'cpp', source: { configMapKeyRef: { name: 'sol-1', key: 'main.cpp' } } }],
    ['source from a Secret', { runtime: 'cpp', source: { secretKeyRef: { name: 'sol', key: 'main.cpp' } } }],
    ['stdin, args, files', { ...base, stdin: '1 2\n', args: ['-v'], files: [{ path: 'data/in.txt', content: 'x' }, { path: '.hidden', content: '' }] }],
    [
      'tests with refs and every option',
      {
        ...base,
        tests: [
          { name: '1', stdin: '1 2\n', expectedStdout: '3\n' },
          { name: '2', stdinFrom: { configMapKeyRef: { name: 'big', key: 'in' }, gzip: true }, expectedStdoutFrom: { secretKeyRef: { name: 'big', key: 'out' } } },
        ],
        compare: { mode: 'float', absTolerance: 1e-6, relTolerance: 1e-6 },
        limits: { cpuTimeMillis: 1000, wallTimeMillis: 3000, memoryMiB: 128, outputBytes: 1024, processes: 4, fileSizeBytes: 1024 },
        stopOnFirstFailure: true,
        ttlSecondsAfterFinished: 3600,
      },
    ],
  ])('accepts %s', (_name, spec) => {
    expect(CodeRunSpecSchema.safeParse(spec).success).toBe(true);
  });

  test.each<[string, unknown, string]>([
    ['no runtime', { source: base.source }, 'runtime'],
    ['an upper-case runtime', { ...base, runtime: 'Python3' }, 'runtime must be a lower-case DNS name'],
    ['a ref with both kinds in stdinFrom', { ...base, tests: [{ name: '1', stdinFrom: { configMapKeyRef: { name: 'a', key: 'b' }, secretKeyRef: { name: 'a', key: 'b' } } }] }, 'set exactly one of configMapKeyRef or secretKeyRef'],
    ['an empty tests list', { ...base, tests: [] }, 'tests'],
    ['an unknown compare mode', { ...base, compare: { mode: 'fuzzy' } }, 'compare'],
    ['a negative tolerance', { ...base, compare: { mode: 'float', absTolerance: -1 } }, 'absTolerance'],
    ['a fractional limit', { ...base, limits: { cpuTimeMillis: 1.5 } }, 'cpuTimeMillis'],
    ['an absolute file path', { ...base, files: [{ path: '/etc/passwd', content: '' }] }, 'a file path must be relative'],
    ['duplicate file paths', { ...base, files: [{ path: 'a', content: '' }, { path: 'a', content: '' }] }, 'file path "a" is used twice'],
    ['oversized inline source', { ...base, source: { inline: 'x'.repeat(262_145) } }, 'move it to a ConfigMap'],
  ])('rejects %s', (_name, spec, message) => {
    const parsed = CodeRunSpecSchema.safeParse(spec);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toContain(message);
  });
});

test.each([
  ['main.py', true],
  ['src/Main.java', true],
  ['.hidden', true],
  ['..data', true],
  ['a/.b/c', true],
  ['.', false],
  ['..', false],
  ['../x', false],
  ['a/../b', false],
  ['a/./b', false],
  ['/abs', false],
  ['a//b', false],
  ['a/', false],
  ['with space', false],
])('RELATIVE_PATH %s → %s', (path, ok) => {
  expect(RELATIVE_PATH.test(path)).toBe(ok);
});

describe('Runtime spec', () => {
  const limits = { cpuTimeMillis: 2000, wallTimeMillis: 5000, memoryMiB: 256, outputBytes: 65536, processes: 16, fileSizeBytes: 1048576 };
  const runtime = { image: 'python:3.12-slim', sourceFile: 'main.py', run: { command: ['python3', 'main.py'] }, limits: { default: limits, max: limits } };

  test('accepts a Runtime with a warm pool', () => {
    expect(RuntimeSpecSchema.safeParse({ ...runtime, warmPool: { replicas: 5, resources: { limits: { cpu: '1', memory: '1Gi' } } } }).success).toBe(true);
  });

  test('rejects a default above the max, saying which', () => {
    const parsed = RuntimeSpecSchema.safeParse({ ...runtime, limits: { default: { ...limits, memoryMiB: 512 }, max: limits } });
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['limits', 'default', 'memoryMiB'], message: 'default 512 exceeds max 256; lower the default or raise the max' })]);
  });

  test.each([
    [1, true],
    [20, true],
    [1000, true],
    [0, false],
    [1001, false],
    [2.5, false],
  ])('warmPool.runsPerPod %s → %s', (runsPerPod, ok) => {
    expect(RuntimeSpecSchema.safeParse({ ...runtime, warmPool: { replicas: 1, runsPerPod } }).success).toBe(ok);
  });

  test('says what to change about runsPerPod', () => {
    const parsed = RuntimeSpecSchema.safeParse({ ...runtime, warmPool: { replicas: 1, runsPerPod: 0 } });
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['warmPool', 'runsPerPod'], message: 'must be at least 1 (1: every pool pod serves one run and is then replaced)' })]);
  });

  test('rejects a bad quantity and an empty command', () => {
    expect(RuntimeSpecSchema.safeParse({ ...runtime, warmPool: { replicas: 1, resources: { limits: { memory: 'lots' } } } }).success).toBe(false);
    expect(RuntimeSpecSchema.safeParse({ ...runtime, run: { command: [] } }).success).toBe(false);
  });
});
