import type { CodeRunStatus } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import { readyFromSelfTest, selfTestRunName, selfTestRunSpec } from './self-test.js';

const limits = { cpuTimeMillis: 1000, wallTimeMillis: 3000, memoryMiB: 256, outputBytes: 65536, processes: 1, fileSizeBytes: 65536 };
const spec: RuntimeSpec = {
  image: 'coderun.local/gcc:dev',
  sourceFile: 'main.c',
  compile: { command: ['gcc', '-o', 'main', 'main.c'] },
  run: { command: ['./main'] },
  limits: { default: limits, max: { ...limits, cpuTimeMillis: 20_000 } },
  selfTest: { source: 'int main(void) { return 0; }\n', stdin: '', expectedStdout: '' },
};

describe('the self-test run of a Runtime', () => {
  it('is a new run when the image, a command, the env or the test change, and the same one otherwise', () => {
    const name = selfTestRunName('c', spec);
    expect(name).toMatch(/^self-test-[0-9a-f]{16}$/);
    expect(selfTestRunName('c', { ...spec, limits: { ...spec.limits, default: { ...limits, memoryMiB: 128 } }, warmPool: { replicas: 3 } })).toBe(name);
    for (const changed of [
      { ...spec, image: 'gcc:14' },
      { ...spec, compile: { command: ['gcc', '-O2', '-o', 'main', 'main.c'] } },
      { ...spec, run: { command: ['./main', '-x'] } },
      { ...spec, env: [{ name: 'LANG', value: 'en_US.UTF-8' }] },
      { ...spec, selfTest: { source: 'int main(void) { return 1; }\n', expectedStdout: '' } },
    ]) {
      expect(selfTestRunName('c', changed)).not.toBe(name);
    }
    expect(selfTestRunName('c2', spec)).not.toBe(name);
  });

  it("runs the test under the Runtime's max limits, and not at all without spec.selfTest", () => {
    expect(selfTestRunSpec('c', spec)).toEqual({
      runtime: 'c',
      source: { inline: 'int main(void) { return 0; }\n' },
      tests: [{ name: 'self-test', stdin: '', expectedStdout: '' }],
      limits: spec.limits.max,
    });
    expect(selfTestRunSpec('c', { ...spec, selfTest: undefined })).toBeUndefined();
  });
});

const run = 'coderun-system/self-test-0123456789abcdef';
const completed = (status: Partial<CodeRunStatus>): CodeRunStatus => ({ phase: 'Completed', ...status });

test.each<[string, CodeRunStatus | undefined, { status: string; reason: string; message: RegExp }]>([
  ['being created', undefined, { status: 'Unknown', reason: 'SelfTestRunning', message: /has not finished; runs of this Runtime wait for it/ }],
  ['running', { phase: 'Running' }, { status: 'Unknown', reason: 'SelfTestRunning', message: /has not finished/ }],
  ['Accepted', completed({ verdict: 'Accepted', tests: [{ name: 'self-test', verdict: 'Accepted', cpuTimeMillis: 12, wallTimeMillis: 30 }] }), { status: 'True', reason: 'SelfTestPassed', message: /was Accepted \(CPU 12 ms, wall 30 ms\)/ }],
  [
    'a compiler that fails, with its output',
    completed({ verdict: 'CompilationError', message: 'compilation failed with exit code 1', compile: { exitCode: 1, output: 'main.c:1: error: oops' } }),
    { status: 'False', reason: 'SelfTestFailed', message: /got CompilationError: compilation failed with exit code 1\ncompiler output:\nmain\.c:1: error: oops/ },
  ],
  [
    'a wrong output, with stdout and stderr',
    completed({ verdict: 'WrongAnswer', message: 'WrongAnswer on test self-test', tests: [{ name: 'self-test', verdict: 'WrongAnswer', stdout: '41\n', stderr: 'warning\n' }] }),
    { status: 'False', reason: 'SelfTestFailed', message: /got WrongAnswer: WrongAnswer on test self-test\nstdout:\n41\n\nstderr:\nwarning/ },
  ],
  [
    'an image the node cannot get',
    { phase: 'Failed', verdict: 'SystemError', message: 'the sandbox pod did not start: ErrImageNeverPull: Container image "x" is not present' },
    { status: 'False', reason: 'ImageNotFound', message: /could not start the image: the sandbox pod did not start: ErrImageNeverPull/ },
  ],
  ['another failure of the sandbox', { phase: 'Failed', verdict: 'SystemError', message: 'the runner crashed' }, { status: 'False', reason: 'SandboxFailed', message: /ended in SystemError: the runner crashed/ }],
  ['an invalid self-test', { phase: 'Failed', message: 'spec.limits.memoryMiB 4096 exceeds the Runtime maximum' }, { status: 'False', reason: 'SelfTestInvalid', message: /is invalid: spec\.limits/ }],
])('a self-test run %s gives Ready %s', (_name, status, expected) => {
  const ready = readyFromSelfTest(run, status);
  expect(ready).toMatchObject({ type: 'Ready', status: expected.status, reason: expected.reason });
  expect(ready.message).toMatch(expected.message);
  expect(ready.message).toContain(run);
});

test('a long output is cut in the message', () => {
  const ready = readyFromSelfTest(run, completed({ verdict: 'CompilationError', message: 'failed', compile: { exitCode: 1, output: 'e'.repeat(5000) } }));
  expect(ready.message.length).toBeLessThan(1300);
  expect(ready.message).toMatch(/e\.\.\.$/);
});
