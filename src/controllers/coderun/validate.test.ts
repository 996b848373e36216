import { validateCodeRun, type ValidationResult } from './validate.js';
import { CPP, PYTHON3 } from '../../sandbox/test-fixtures.js';

const runtimeObject = (spec: unknown) => ({ apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', metadata: { name: 'python3' }, spec });
const python3 = runtimeObject(PYTHON3);
const base = { runtime: 'python3', source: { inline: 'print(1)' } };

describe('validateCodeRun: invalid', () => {
  test.each<[string, unknown, unknown, string, string]>([
    [
      'limit above the max',
      { ...base, limits: { memoryMiB: 4096 } },
      python3,
      'LimitsAboveMaximum',
      'spec.limits.memoryMiB 4096 exceeds the Runtime python3 maximum 1024; lower it to at most 1024',
    ],
    [
      'two limits above the max',
      { ...base, limits: { cpuTimeMillis: 60000, processes: 100 } },
      python3,
      'LimitsAboveMaximum',
      'spec.limits.cpuTimeMillis 60000 exceeds the Runtime python3 maximum 10000; lower it to at most 10000; spec.limits.processes 100 exceeds the Runtime python3 maximum 64; lower it to at most 64',
    ],
    ['unknown runtime', { ...base, runtime: 'cobol' }, undefined, 'RuntimeNotFound', 'spec.runtime: there is no Runtime named "cobol"; use one listed by `kubectl get runtimes`'],
    ['missing source', { runtime: 'python3' }, python3, 'InvalidSpec', 'spec.source: is required'],
    ['empty source', { runtime: 'python3', source: {} }, python3, 'InvalidSpec', 'spec.source: set exactly one of source.inline, source.configMapKeyRef or source.secretKeyRef'],
    [
      'two sources',
      { runtime: 'python3', source: { inline: 'x', configMapKeyRef: { name: 'src', key: 'main.py' } } },
      python3,
      'InvalidSpec',
      'spec.source: set exactly one of',
    ],
    ['stdin and tests', { ...base, stdin: '1', tests: [{ name: '1', stdin: '2' }] }, python3, 'InvalidSpec', 'spec.stdin: set stdin or tests, not both'],
    [
      'a bad ref name',
      { runtime: 'python3', source: { configMapKeyRef: { name: 'My_Source', key: 'main.py' } } },
      python3,
      'InvalidSpec',
      'spec.source.configMapKeyRef.name: the referenced object name must be a lower-case DNS name',
    ],
    ['a ref without key', { runtime: 'python3', source: { secretKeyRef: { name: 'src' } } }, python3, 'InvalidSpec', 'spec.source.secretKeyRef.key: is required'],
    [
      'stdin and stdinFrom in a test',
      { ...base, tests: [{ name: 'a', stdin: '1', stdinFrom: { configMapKeyRef: { name: 'in', key: 'a' } } }] },
      python3,
      'InvalidSpec',
      'spec.tests[0].stdinFrom: set stdin or stdinFrom, not both',
    ],
    ['duplicate test names', { ...base, tests: [{ name: 'a' }, { name: 'a' }] }, python3, 'InvalidSpec', 'spec.tests[1].name: test name "a" is used twice'],
    ['a file escaping the work dir', { ...base, files: [{ path: '../etc/passwd', content: '' }] }, python3, 'InvalidSpec', 'spec.files[0].path: a file path must be relative'],
    ['a file over the source', { ...base, files: [{ path: 'main.py', content: '' }] }, python3, 'InvalidSpec', 'spec.files[0].path: "main.py" is where the Runtime python3 writes the source'],
    ['tolerance without float', { ...base, compare: { mode: 'tokens', absTolerance: 0.1 } }, python3, 'InvalidSpec', 'spec.compare: absTolerance and relTolerance apply only to compare.mode float'],
    ['a zero limit', { ...base, limits: { memoryMiB: 0 } }, python3, 'InvalidSpec', 'spec.limits.memoryMiB: Too small'],
    ['a spec that is no object', 'hello', python3, 'InvalidSpec', 'spec: '],
    ['an invalid Runtime', base, runtimeObject({ ...PYTHON3, image: undefined }), 'RuntimeInvalid', 'the Runtime python3 is invalid (spec.image: is required)'],
  ])('%s', (_name, spec, runtime, reason, message) => {
    const result = validateCodeRun(spec, runtime);
    expect(result).toEqual({ valid: false, reason, message: expect.stringContaining(message) });
  });
});

describe('validateCodeRun: valid', () => {
  test('resolves the limits from the Runtime', () => {
    const result = validateCodeRun({ ...base, limits: { memoryMiB: 512 } }, python3);
    expect(result).toMatchObject<Partial<ValidationResult>>({ valid: true });
    if (result.valid) {
      expect(result.limits.run.memoryMiB).toBe(512);
      expect(result.limits.run.cpuTimeMillis).toBe(2000);
      expect(result.runtime.image).toBe('python:3.12-slim');
    }
  });

  test('a compiled language gets compile limits', () => {
    const result = validateCodeRun({ runtime: 'cpp', source: { inline: 'int main(){}' } }, runtimeObject(CPP));
    expect(result.valid && result.limits.compile).toEqual(CPP.limits.max);
  });

  test('limits exactly at the max are accepted', () => {
    expect(validateCodeRun({ ...base, limits: PYTHON3.limits.max }, python3).valid).toBe(true);
  });
});
