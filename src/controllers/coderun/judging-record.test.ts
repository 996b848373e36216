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
    scoring: { kind: 'none' },
  });
});

test('records the scoring plan: subtasks by test index, in judging order', () => {
  const scored: CodeRunSpec = { ...spec, stopOnFirstFailure: undefined, subtasks: [{ name: 'all', points: 100, tests: ['2', '1'], scoring: 'minimum' }] };
  expect(buildJudgingRecord(scored, LIMITS, inputs).scoring).toEqual({
    kind: 'subtasks',
    subtasks: [{ name: 'all', points: 100, scoring: 'minimum', tests: [1, 0], dependsOn: [] }],
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
