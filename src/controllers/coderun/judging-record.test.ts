import { gzipSync } from 'node:zlib';
import type { CodeRunSpec } from '../../crds/coderun.js';
import { buildJudgingRecord, decodeJudgingRecord, encodeJudgingRecord, judgeInputOf } from './judging-record.js';
import { LIMITS } from './test-fixtures.js';

const spec: CodeRunSpec = {
  runtime: 'python3',
  source: { inline: 'print(input())' },
  tests: [
    { name: '1', stdin: '1\n', expectedStdout: '1\n' },
    { name: '2', stdin: '2\n' },
  ],
  compare: { mode: 'tokens' },
  stopOnFirstFailure: true,
};
const inputs = {
  source: 'print(input())',
  files: [],
  tests: [
    { name: '1', stdin: '1\n', expectedStdout: '1\n' },
    { name: '2', stdin: '2\n', expectedStdout: undefined },
  ],
};

test('records expected outputs, compare, limits and stopOnFirstFailure, and survives the round trip', () => {
  const record = buildJudgingRecord(spec, LIMITS, inputs);
  expect(record).toEqual({
    tests: [{ name: '1', expectedStdout: '1\n' }, { name: '2' }],
    compare: { mode: 'tokens' },
    limits: { run: LIMITS.run },
    stopOnFirstFailure: true,
  });
  expect(decodeJudgingRecord(encodeJudgingRecord(record))).toEqual({ ok: true, record });
});

test('the judge input keeps a test without expected output as undefined (run only)', () => {
  const input = judgeInputOf(buildJudgingRecord(spec, LIMITS, inputs), { kind: 'oomKilled', memoryLimitMiB: 256 });
  expect(input.tests).toEqual([
    { name: '1', expectedStdout: '1\n' },
    { name: '2', expectedStdout: undefined },
  ]);
  expect(input.stopOnFirstFailure).toBe(true);
});

test.each([
  ['not gzip', Buffer.from('{}'), 'cannot be read'],
  ['gzip of a wrong shape', gzipSync(Buffer.from('{"tests": 3}')), 'malformed'],
])('a damaged record (%s) is reported, not thrown', (_name, bytes, words) => {
  const decoded = decodeJudgingRecord(bytes);
  expect(decoded.ok).toBe(false);
  expect(!decoded.ok && decoded.message).toContain(words);
});
