import { warmRunOutcome, type WarmExecOutput } from './warm-outcome.js';

const result = { compile: null, tests: [], error: null };

describe('warmRunOutcome', () => {
  const ok: WarmExecOutput = { exitCode: 0, statusMessage: undefined, stdout: `${JSON.stringify(result)}\n`, stderr: '' };
  it('a result document on stdout with exit 0 is the result', () => {
    expect(warmRunOutcome(ok)).toEqual({ kind: 'result', result });
  });
  it.each([
    ['a non-zero exit names the code and the end of stderr', { ...ok, exitCode: 137, stdout: '', stderr: 'killed\n' }, 'the runner in the pool pod ended with exit code 137: "killed"'],
    ['no exit code: the exec status message', { ...ok, exitCode: undefined, statusMessage: 'container not found', stdout: '' }, 'no exit code (container not found)'],
    ['exit 0 without a document', { ...ok, stdout: 'hello' }, 'the runner printed no result document'],
  ])('%s', (_name, output, text) => {
    const outcome = warmRunOutcome(output);
    expect(outcome.kind).toBe('sandboxFailure');
    expect(outcome.kind === 'sandboxFailure' ? outcome.message : '').toContain(text);
  });
});
