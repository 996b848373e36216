import type { CodeRunSpec } from '../../crds/coderun.js';
import { buildJobDocument, decodeJobDocument, encodeJobDocument } from './job-document.js';
import type { ResolvedInputs } from './inputs.js';
import { resolveLimits } from '../../sandbox/limits.js';
import { JobDocumentSchema } from '../../sandbox/runner-protocol.js';
import { CPP, PYTHON3 } from '../../sandbox/test-fixtures.js';

const inputs: ResolvedInputs = {
  source: 'print(sum(map(int, input().split())))',
  files: [{ path: 'data/x.txt', content: 'x' }],
  tests: [
    { name: '1', stdin: '1 2\n', expectedStdout: '3\n' },
    { name: '2', stdin: '5 6\n', expectedStdout: '11\n' },
  ],
};
const spec: CodeRunSpec = { runtime: 'python3', source: { inline: inputs.source }, args: ['--fast'], limits: { memoryMiB: 128 } };

test('a python job: source at the source file, files, run command with args, tests without expected output, limits', () => {
  const doc = buildJobDocument(spec, PYTHON3, resolveLimits(spec.limits, PYTHON3), inputs);
  expect(doc).toEqual({
    files: [
      { path: 'main.py', content: inputs.source, encoding: 'utf8' },
      { path: 'data/x.txt', content: 'x', encoding: 'utf8' },
    ],
    run: { command: ['python3', 'main.py', '--fast'] },
    tests: [
      { name: '1', stdin: '1 2\n' },
      { name: '2', stdin: '5 6\n' },
    ],
    limits: { ...PYTHON3.limits.default, memoryMiB: 128 },
  });
  expect(JobDocumentSchema.parse(doc)).toEqual(doc);
});

test('a compiled job has the compile command and compile limits', () => {
  const doc = buildJobDocument({ ...spec, runtime: 'cpp', args: undefined }, CPP, resolveLimits(undefined, CPP), inputs);
  expect(doc.compile).toEqual({ command: ['g++', '-O2', '-o', 'main', 'main.cpp'] });
  expect(doc.compileLimits).toEqual(CPP.limits.max);
  expect(doc.files[0]?.path).toBe('main.cpp');
  expect(doc.run.command).toEqual(['./main']);
});

test("the Runtime's env goes into the job; no env, no field", () => {
  const env = [{ name: 'PATH', value: '/opt/java/bin:/usr/bin:/bin' }, { name: 'JAVA_TOOL_OPTIONS', value: '-Xss64m' }];
  expect(buildJobDocument(spec, { ...PYTHON3, env }, resolveLimits(undefined, PYTHON3), inputs).env).toEqual(env);
  expect(buildJobDocument(spec, PYTHON3, resolveLimits(undefined, PYTHON3), inputs)).not.toHaveProperty('env');
});

test('a job over the runner bound is refused with what to change', () => {
  const huge = 'x'.repeat(1024 * 1024);
  const doc = buildJobDocument(spec, PYTHON3, resolveLimits(undefined, PYTHON3), { ...inputs, tests: Array.from({ length: 65 }, (_, i) => ({ name: `${i}`, stdin: huge, expectedStdout: undefined })) });
  const encoded = encodeJobDocument(doc);
  expect(encoded).toEqual({ ok: false, message: expect.stringMatching(/^the job .* is 65\.0 MiB, over the runner's 64 MiB; split the tests over several CodeRuns/) });
});

test('encoding is gzip and round-trips', () => {
  const doc = buildJobDocument(spec, PYTHON3, resolveLimits(undefined, PYTHON3), { ...inputs, tests: [{ name: 'big', stdin: '1 2\n'.repeat(250_000), expectedStdout: undefined }] });
  const encoded = encodeJobDocument(doc);
  if (!encoded.ok) throw new Error(encoded.message);
  const bytes = encoded.bytes;
  expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  expect(bytes.length).toBeLessThan(JSON.stringify(doc).length / 50);
  expect(decodeJobDocument(bytes)).toEqual(doc);
});
