import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseResultDocument, type ResultDocument } from './runner-protocol.js';

// As the runner prints it: each output beside its encoding.
const result = {
  compile: { exitCode: 0, signal: null, output: '', outputEncoding: 'utf8', outputTruncated: false, cpuTimeMillis: 800, wallTimeMillis: 900, limitExceeded: null },
  tests: [
    {
      name: '1', exitCode: null, signal: 11, cpuTimeMillis: 3, wallTimeMillis: 4, memoryKiB: 1200, stdout: '', stdoutEncoding: 'utf8',
      stderr: 'Segmentation fault', stderrEncoding: 'utf8', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null,
    },
  ],
  error: null,
};

// As the judge reads it: each output as its bytes.
const parsed = {
  compile: { exitCode: 0, signal: null, output: Buffer.alloc(0), outputTruncated: false, cpuTimeMillis: 800, wallTimeMillis: 900, limitExceeded: null },
  tests: [
    {
      name: '1', exitCode: null, signal: 11, cpuTimeMillis: 3, wallTimeMillis: 4, memoryKiB: 1200, stdout: Buffer.alloc(0),
      stderr: Buffer.from('Segmentation fault'), stdoutTruncated: false, stderrTruncated: false, limitExceeded: null,
    },
  ],
  error: null,
};

describe('parseResultDocument', () => {
  test('a compact result document', () => {
    expect(parseResultDocument(JSON.stringify(result))).toEqual({ ok: true, result: parsed });
  });

  test('a pretty-printed one', () => {
    expect(parseResultDocument(JSON.stringify(result, null, 2))).toEqual({ ok: true, result: parsed });
  });

  test('the last line when something was printed before it', () => {
    expect(parseResultDocument(`welcome to the image\n${JSON.stringify(result)}\n`)).toEqual({ ok: true, result: parsed });
  });

  test('the result line among diagnostics on stderr before and after it (a container log has both)', () => {
    const log = `T prepare-start 376µs\n${JSON.stringify(result)}\nT cleanup 2ms\n`;
    expect(parseResultDocument(log)).toEqual({ ok: true, result: parsed });
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

describe('captured outputs are decoded into bytes', () => {
  const [first] = result.tests;
  const withTest = (changes: Record<string, unknown>) => JSON.stringify({ ...result, tests: [{ ...first, ...changes }] });
  const withCompile = (changes: Record<string, unknown>) => JSON.stringify({ ...result, compile: { ...result.compile, ...changes } });

  test.each<[string, string, (r: ResultDocument) => Buffer | undefined, Buffer]>([
    ['utf8 text as its UTF-8 bytes', withTest({ stdout: 'h\u00e9\n', stdoutEncoding: 'utf8' }), (r) => r.tests[0]?.stdout, Buffer.from('h\u00e9\n')],
    ['base64 of bytes that are not UTF-8', withTest({ stdout: '//4=', stdoutEncoding: 'base64' }), (r) => r.tests[0]?.stdout, Buffer.from([0xff, 0xfe])],
    ['base64 of text JSON would escape longer', withTest({ stderr: 'AAECAw==', stderrEncoding: 'base64' }), (r) => r.tests[0]?.stderr, Buffer.from([0, 1, 2, 3])],
    ['base64 of nothing', withTest({ stderr: '', stderrEncoding: 'base64' }), (r) => r.tests[0]?.stderr, Buffer.alloc(0)],
    ['base64 compiler output', withCompile({ output: 'gA==', outputEncoding: 'base64' }), (r) => r.compile?.output, Buffer.from([0x80])],
  ])('%s', (_name, text, output, bytes) => {
    const parsed = parseResultDocument(text);
    expect(parsed.ok && output(parsed.result)).toEqual(bytes);
  });

  test.each([
    ['base64 without its padding', withTest({ stdout: '//4', stdoutEncoding: 'base64' }), 'stdout is not standard base64 with padding → at tests[0].stdout'],
    ['URL-safe base64', withTest({ stdout: '_-4=', stdoutEncoding: 'base64' }), 'at tests[0].stdout'],
    ['base64 broken over lines', withTest({ stderr: 'AAEC\nAw==', stderrEncoding: 'base64' }), 'at tests[0].stderr'],
    ['base64 compiler output that is not base64', withCompile({ output: 'error: x', outputEncoding: 'base64' }), 'at compile.output'],
    ['an unknown encoding', withTest({ stdoutEncoding: 'latin1' }), 'at tests[0].stdoutEncoding'],
    ['no encoding', withTest({ stderrEncoding: undefined }), 'at tests[0].stderrEncoding'],
    ['no compiler output encoding', withCompile({ outputEncoding: undefined }), 'at compile.outputEncoding'],
  ])('%s is a malformed document', (_name, text, message) => {
    const parsed = parseResultDocument(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});

describe('the golden result document the Go runner tests write', () => {
  // runner/internal/protocol/result_test.go writes this file from the runner's own ResultWriter.
  const golden = readFileSync(resolve(import.meta.dirname, '../../runner/internal/protocol/testdata/result.golden.json'), 'utf8');

  it('parses into the compile step and every test, outputs decoded', () => {
    const parsed = parseResultDocument(golden);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.result.error).toBeNull();
    expect(parsed.result.compile).toMatchObject({ exitCode: 0, output: Buffer.from('warning: <x>\n') });
    expect(parsed.result.tests).toEqual([
      expect.objectContaining({ name: 'a&b', exitCode: 0, signal: null, stdout: Buffer.from('3\n'), stderr: Buffer.from([0xff]), limitExceeded: null }),
      expect.objectContaining({ name: '2', exitCode: null, signal: 9, memoryKiB: 70000, stdout: Buffer.alloc(0), limitExceeded: 'memory' }),
    ]);
  });
});
