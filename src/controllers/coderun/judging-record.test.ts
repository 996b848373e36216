import type { CodeRunSpec } from '../../crds/coderun.js';
import { buildJudgingRecord, judgeInputOf } from './judging-record.js';
import { LIMITS } from '../../sandbox/test-fixtures.js';

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

test('records expected outputs, compare, limits and stopOnFirstFailure', () => {
  const record = buildJudgingRecord(spec, LIMITS, inputs);
  expect(record).toEqual({
    tests: [{ name: '1', expectedStdout: '1\n' }, { name: '2' }],
    compare: { mode: 'tokens' },
    limits: { run: LIMITS.run },
    stopOnFirstFailure: true,
  });
});

test('the judge input keeps a test without expected output as undefined (run only)', () => {
  const input = judgeInputOf(buildJudgingRecord(spec, LIMITS, inputs), { kind: 'sandboxFailure', message: 'unused' });
  expect(input.tests).toEqual([
    { name: '1', expectedStdout: Buffer.from('1\n') },
    { name: '2', expectedStdout: undefined },
  ]);
  expect(input.stopOnFirstFailure).toBe(true);
});
