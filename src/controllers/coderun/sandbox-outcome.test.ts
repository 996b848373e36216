import { execRunOutcome, type ExecOutput } from './sandbox-outcome.js';

const result = { compile: null, tests: [], error: null };

describe('execRunOutcome', () => {
  const ok: ExecOutput = { exitCode: 0, statusMessage: undefined, stdout: `${JSON.stringify(result)}\n`, stderr: '' };
  it('a result document on stdout with exit 0 is the result', () => {
    expect(execRunOutcome(ok)).toEqual({ kind: 'result', result });
  });
  it.each([
    ['a non-zero exit names the code and the end of stderr', { ...ok, exitCode: 137, stdout: '', stderr: 'killed\n' }, 'the runner ended with exit code 137: "killed"'],
    ['no exit code: the exec status message', { ...ok, exitCode: undefined, statusMessage: 'container not found', stdout: '' }, 'no exit code (container not found)'],
    ['exit 0 without a document', { ...ok, stdout: 'hello' }, 'the runner printed no result document'],
    [
      "a document that reports the runner's own error",
      { ...ok, stdout: JSON.stringify({ ...result, error: 'run command "./main" could not be started for test "1": no such file' }) },
      'the runner failed: run command "./main" could not be started for test "1": no such file',
    ],
  ])('%s is a failure of the sandbox, never the program', (_name, output, text) => {
    const outcome = execRunOutcome(output);
    expect(outcome.kind).toBe('sandboxFailure');
    expect(outcome.kind === 'sandboxFailure' ? outcome.message : '').toContain(text);
  });
});
