import { parseResultDocument } from './runner-protocol.js';

const result = {
  compile: { exitCode: 0, signal: null, output: '', outputTruncated: false, cpuTimeMillis: 800, wallTimeMillis: 900, limitExceeded: null },
  tests: [
    { name: '1', exitCode: null, signal: 11, cpuTimeMillis: 3, wallTimeMillis: 4, memoryKiB: 1200, stdout: '', stderr: 'Segmentation fault', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null },
  ],
  error: null,
};

describe('parseResultDocument', () => {
  test('a compact result document', () => {
    expect(parseResultDocument(JSON.stringify(result))).toEqual({ ok: true, result });
  });

  test('a pretty-printed one', () => {
    expect(parseResultDocument(JSON.stringify(result, null, 2))).toEqual({ ok: true, result });
  });

  test('the last line when something was printed before it', () => {
    expect(parseResultDocument(`welcome to the image\n${JSON.stringify(result)}\n`)).toEqual({ ok: true, result });
  });

  test('the result line among diagnostics on stderr before and after it (a container log has both)', () => {
    const log = `T prepare-start 376µs\n${JSON.stringify(result)}\nT cleanup 2ms\n`;
    expect(parseResultDocument(log)).toEqual({ ok: true, result });
  });

  test('a runner error document', () => {
    const failed = { compile: null, tests: [], error: 'files[0].path: escapes the work directory' };
    expect(parseResultDocument(JSON.stringify(failed))).toEqual({ ok: true, result: failed });
  });

  test.each([
    ['no output', '', 'the runner printed no result document'],
    ['a crash trace', 'panic: runtime error\ngoroutine 1', 'the runner printed no result document (its output: "panic: runtime error\\ngoroutine 1")'],
    ['a wrong shape', '{"tests": [{"name": "1"}]}', "the runner's result document is malformed"],
    ['an unknown limit', JSON.stringify({ ...result, tests: [{ ...result.tests[0], limitExceeded: 'disk' }] }), 'limitExceeded'],
  ])('%s', (_name, text, message) => {
    const parsed = parseResultDocument(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});
