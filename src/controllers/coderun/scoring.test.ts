import { CodeRunStatusSchema, type CodeRunSpec, type TestVerdict } from '../../crds/coderun.js';
import { scoringPlan } from './scoring.js';
import { buildFinishedStatus } from './status.js';
import { LIMITS, passedTest } from '../../sandbox/test-fixtures.js';
import { judgeRun, type Judgement } from './verdict.js';

// Scoring judged end to end through judgeRun: what a problem setter sees in the status.

type Spec = Pick<CodeRunSpec, 'tests' | 'subtasks'>;

/** Judges tests named t1..tn whose expected output is "ok", given which of them print "ok". */
function judge(spec: Spec, passing: Set<string>): Judgement {
  const names = (spec.tests ?? []).map((t) => t.name);
  return judgeRun({
    outcome: { kind: 'result', result: { compile: null, tests: names.map((n) => passedTest(n, passing.has(n) ? 'ok' : 'no')), error: null } },
    tests: names.map((name) => ({ name, expectedStdout: Buffer.from('ok') })),
    compare: undefined,
    limits: LIMITS,
    stopOnFirstFailure: false,
    scoring: scoringPlan(spec),
  });
}

const tests = (...names: string[]) => names.map((name) => ({ name }));
const pass = (...names: string[]) => new Set(names);

describe('per-test points', () => {
  const spec: Spec = { tests: [{ name: 't1', points: 10 }, { name: 't2', points: 20.5 }, { name: 't3' }] };
  test.each<[string, Set<string>, number, number[], string]>([
    ['all pass', pass('t1', 't2', 't3'), 30.5, [10, 20.5, 0], 'Accepted'],
    ['the second fails', pass('t1', 't3'), 10, [10, 0, 0], 'WrongAnswer'],
    ['only the pointless test passes', pass('t3'), 0, [0, 0, 0], 'WrongAnswer'],
  ])('%s', (_name, passing, score, perTest, verdict) => {
    const judged = judge(spec, passing);
    expect(judged.verdict).toBe(verdict);
    expect(judged.score).toEqual({ score, maxScore: 30.5, tests: perTest });
  });

  test('a run without points or subtasks has no score', () => {
    expect(judge({ tests: tests('t1', 't2') }, pass('t1')).score).toBeUndefined();
  });

  test('decimal points add up without binary noise', () => {
    const judged = judge({ tests: [{ name: 't1', points: 0.1 }, { name: 't2', points: 0.2 }] }, pass('t1', 't2'));
    expect(judged.score?.score).toBe(0.3);
  });
});

describe('subtasks', () => {
  const spec: Spec = {
    tests: tests('t1', 't2', 't3', 't4', 't5', 't6'),
    subtasks: [
      { name: 'samples', points: 0, tests: ['t1'] },
      { name: 'small', points: 30, tests: ['t2', 't3'], dependsOn: ['samples'] },
      { name: 'large', points: 70, tests: ['t5', 't4', 't6'], dependsOn: ['small'] },
    ],
  };
  type Row = [string, Set<string>, number, [string, TestVerdict, number][], Record<string, TestVerdict>];
  test.each<Row>([
    ['everything passes', pass('t1', 't2', 't3', 't4', 't5', 't6'), 100, [['samples', 'Accepted', 0], ['small', 'Accepted', 30], ['large', 'Accepted', 70]], {}],
    [
      'a failure inside a subtask skips the rest of that subtask only',
      pass('t1', 't2', 't4', 't6'),
      0,
      [['samples', 'Accepted', 0], ['small', 'WrongAnswer', 0], ['large', 'Skipped', 0]],
      { t3: 'WrongAnswer', t4: 'Skipped', t5: 'Skipped', t6: 'Skipped' },
    ],
    [
      'the subtask order decides what is skipped, not the spec order (t5 first)',
      pass('t1', 't2', 't3', 't4', 't6'),
      30,
      [['samples', 'Accepted', 0], ['small', 'Accepted', 30], ['large', 'WrongAnswer', 0]],
      { t5: 'WrongAnswer', t4: 'Skipped', t6: 'Skipped' },
    ],
    [
      'a failed dependency skips every subtask that depends on it, transitively',
      pass('t2', 't3', 't4', 't5', 't6'),
      0,
      [['samples', 'WrongAnswer', 0], ['small', 'Skipped', 0], ['large', 'Skipped', 0]],
      { t1: 'WrongAnswer', t2: 'Skipped', t3: 'Skipped', t4: 'Skipped', t5: 'Skipped', t6: 'Skipped' },
    ],
  ])('%s', (_name, passing, score, subtasks, testVerdicts) => {
    const judged = judge(spec, passing);
    expect(judged.score?.score).toBe(score);
    expect(judged.score?.maxScore).toBe(100);
    expect(judged.score?.subtasks?.map((s) => [s.name, s.verdict, s.score])).toEqual(subtasks);
    // The status lists tests in spec order, whatever the judging order.
    expect(judged.tests.map((t) => t.name)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']);
    for (const t of judged.tests) expect([t.name, t.verdict]).toEqual([t.name, testVerdicts[t.name] ?? 'Accepted']);
  });

  test('the run verdict is the first failure in spec order, as without subtasks', () => {
    const judged = judge(spec, pass('t1', 't2', 't3', 't4', 't6'));
    expect(judged.verdict).toBe('WrongAnswer');
    expect(judged.message).toMatch(/^WrongAnswer on test t5/);
  });

  test('independent subtasks are each judged', () => {
    const judged = judge({ tests: tests('a', 'b'), subtasks: [{ name: 's1', points: 40, tests: ['a'] }, { name: 's2', points: 60, tests: ['b'] }] }, pass('b'));
    expect(judged.score).toMatchObject({ score: 60, maxScore: 100 });
    expect(judged.tests.map((t) => t.verdict)).toEqual(['WrongAnswer', 'Accepted']);
  });

  test('a skipped subtask says which dependency failed', () => {
    const judged = judge(spec, pass('t2'));
    expect(judged.score?.subtasks?.[1]?.message).toBe('not judged: subtask small depends on subtask samples, which did not pass');
    expect(judged.tests[2]?.message).toBe('not judged: subtask small depends on subtask samples, which did not pass');
  });

  test('a test after a failure in its subtask says which test failed', () => {
    expect(judge(spec, pass('t1', 't3')).tests[2]?.message).toBe('not judged: test t2 of subtask small failed');
  });
});

describe('subtask scoring modes', () => {
  const subtask = (scoring: 'allOrNothing' | 'minimum') => ({ tests: tests('a', 'b'), subtasks: [{ name: 's', points: 50, tests: ['a', 'b'], scoring }] });
  test.each<['allOrNothing' | 'minimum', Set<string>, number]>([
    ['allOrNothing', pass('a', 'b'), 50],
    ['allOrNothing', pass('a'), 0],
    ['minimum', pass('a', 'b'), 50],
    ['minimum', pass('a'), 0],
  ])('%s with %p passing', (mode, passing, score) => {
    expect(judge(subtask(mode), passing).score?.score).toBe(score);
  });
});

describe('the status', () => {
  const at = new Date('2026-12-06T10:00:00Z');
  const record = { path: 'warm' as const, podName: 'p', attempts: 1, startedAt: at, observedGeneration: 1, finishedAt: at };

  test('gives score, maxScore and one result per subtask, and parses as the CRD status', () => {
    const spec: Spec = { tests: tests('a', 'b'), subtasks: [{ name: 's1', points: 40, tests: ['a'] }, { name: 's2', points: 60, tests: ['b'], dependsOn: ['s1'] }] };
    const status = buildFinishedStatus({ ...record, judgement: judge(spec, pass('a')) });
    expect(status).toMatchObject({
      verdict: 'WrongAnswer',
      score: 40,
      maxScore: 100,
      subtasks: [
        { name: 's1', verdict: 'Accepted', score: 40, maxScore: 40, message: 'all 1 tests passed' },
        { name: 's2', verdict: 'WrongAnswer', score: 0, maxScore: 60, message: 'WrongAnswer on test b' },
      ],
    });
    expect(CodeRunStatusSchema.safeParse(status).success).toBe(true);
  });

  test('gives each test its points in a run with test points', () => {
    const status = buildFinishedStatus({ ...record, judgement: judge({ tests: [{ name: 'a', points: 5 }, { name: 'b', points: 7 }] }, pass('b')) });
    expect(status.tests?.map((t) => [t.name, t.score])).toEqual([['a', 0], ['b', 7]]);
    expect([status.score, status.maxScore, status.subtasks]).toEqual([7, 12, undefined]);
  });

  test('a run without scoring has no score fields', () => {
    const status = buildFinishedStatus({ ...record, judgement: judge({ tests: tests('a') }, pass('a')) });
    expect(status).not.toHaveProperty('score');
    expect(status.tests?.[0]).not.toHaveProperty('score');
  });
});
