// Scores a judged run: points per test, or subtasks (DMOJ's batches). Pure: the judge asks which
// tests to skip while it judges, and turns the test verdicts into a score at the end.
import type { CodeRunSpec, TestVerdict } from '../../crds/coderun.js';
import type { SubtaskScoring } from '../../crds/scoring.js';

export interface PlannedSubtask {
  name: string;
  points: number;
  scoring: SubtaskScoring;
  /** Indices into the run's tests, in the subtask's judging order. */
  tests: number[];
  /** Indices of earlier subtasks. */
  dependsOn: number[];
}

/** How a run is scored; plain data, kept with the attempt until the verdict. */
export type ScoringPlan =
  | { kind: 'none' }
  /** Points of each test, by index (0 for a test without points). */
  | { kind: 'points'; points: number[] }
  | { kind: 'subtasks'; subtasks: PlannedSubtask[] };

/** The plan of a valid spec (scoringIssues found nothing), for its tests in spec order. */
export function scoringPlan(spec: Pick<CodeRunSpec, 'tests' | 'subtasks'>): ScoringPlan {
  const tests = spec.tests ?? [];
  if (spec.subtasks !== undefined) {
    const testIndex = new Map(tests.map((t, i) => [t.name, i]));
    const subtaskIndex = new Map(spec.subtasks.map((s, i) => [s.name, i]));
    return {
      kind: 'subtasks',
      subtasks: spec.subtasks.map((s) => ({
        name: s.name,
        points: s.points,
        scoring: s.scoring ?? 'allOrNothing',
        tests: s.tests.map((name) => testIndex.get(name) ?? -1),
        dependsOn: (s.dependsOn ?? []).map((name) => subtaskIndex.get(name) ?? -1),
      })),
    };
  }
  if (tests.some((t) => t.points !== undefined)) return { kind: 'points', points: tests.map((t) => t.points ?? 0) };
  return { kind: 'none' };
}

/** The order the tests are judged in: subtask by subtask, else the spec's. */
export function judgingOrder(plan: ScoringPlan, testCount: number): number[] {
  if (plan.kind === 'subtasks') return plan.subtasks.flatMap((s) => s.tests);
  return Array.from({ length: testCount }, (_, i) => i);
}

/** What the scoring needs of a judged test. */
export interface JudgedTest {
  name: string;
  verdict: TestVerdict;
  message: string;
  /** The share of the test's points it earned, 0 to 1; undefined: 1 when Accepted, else 0. */
  fraction?: number | undefined;
}

export const earned = (t: JudgedTest): number => t.fraction ?? (t.verdict === 'Accepted' ? 1 : 0);
const passed = (t: JudgedTest | undefined): boolean => t !== undefined && t.verdict === 'Accepted' && earned(t) === 1;

/**
 * Why the test at `index` is not judged, given the tests judged so far (by index), or undefined.
 * Inside a subtask judging stops at the first failure; a subtask whose dependency did not pass
 * in full is not judged at all.
 */
export function subtaskSkipReason(plan: ScoringPlan, index: number, judged: ReadonlyMap<number, JudgedTest>): string | undefined {
  if (plan.kind !== 'subtasks') return undefined;
  const subtask = plan.subtasks.find((s) => s.tests.includes(index));
  if (subtask === undefined) return undefined;
  const failedDependency = subtask.dependsOn.map((d) => plan.subtasks[d]).find((d) => d !== undefined && !d.tests.every((t) => passed(judged.get(t))));
  if (failedDependency !== undefined) return `not judged: subtask ${subtask.name} depends on subtask ${failedDependency.name}, which did not pass`;
  // Judging stops once the subtask cannot score: any test short of full marks (allOrNothing),
  // a test that earned nothing (minimum: partial points still count).
  const capsAtZero = (t: JudgedTest): boolean => (subtask.scoring === 'minimum' ? earned(t) === 0 : !passed(t));
  const before = subtask.tests.slice(0, subtask.tests.indexOf(index));
  const failed = before.map((t) => judged.get(t)).find((t) => t !== undefined && capsAtZero(t));
  return failed === undefined ? undefined : `not judged: test ${failed.name} of subtask ${subtask.name} failed`;
}

export interface SubtaskScore {
  name: string;
  verdict: TestVerdict;
  score: number;
  maxScore: number;
  message: string;
}

export interface RunScore {
  score: number;
  maxScore: number;
  /** Points each test earned, by index (runs with test points). */
  tests?: number[];
  subtasks?: SubtaskScore[];
}

// Points are decimals a person wrote; sums of binary floats would show 0.30000000000000004.
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const sum = (ns: number[]): number => round(ns.reduce((a, b) => a + b, 0));

function subtaskScore(s: PlannedSubtask, tests: readonly JudgedTest[]): SubtaskScore {
  const own = s.tests.map((i) => tests[i]).filter((t): t is JudgedTest => t !== undefined);
  const failed = own.find((t) => t.verdict !== 'Accepted');
  const base = { name: s.name, maxScore: s.points };
  if (failed?.verdict === 'Skipped' && own.every((t) => t.verdict === 'Skipped')) {
    return { ...base, verdict: 'Skipped', score: 0, message: failed.message };
  }
  const fraction = Math.min(...own.map(earned));
  const score = s.scoring === 'minimum' ? round(s.points * fraction) : fraction === 1 ? s.points : 0;
  if (failed === undefined) {
    const message = fraction === 1 ? `all ${own.length} tests passed` : `all ${own.length} tests accepted, the smallest with ${round(fraction * 100)}% of its points`;
    return { ...base, verdict: 'Accepted', score, message };
  }
  return { ...base, verdict: failed.verdict, score, message: `${failed.verdict} on test ${failed.name}` };
}

/** The run's score, or undefined for a run without points or subtasks. `tests` are by index. */
export function scoreRun(plan: ScoringPlan, tests: readonly JudgedTest[]): RunScore | undefined {
  switch (plan.kind) {
    case 'none':
      return undefined;
    case 'points': {
      const earnedPoints = plan.points.map((p, i) => {
        const t = tests[i];
        return t === undefined ? 0 : round(p * earned(t));
      });
      return { score: sum(earnedPoints), maxScore: sum(plan.points), tests: earnedPoints };
    }
    case 'subtasks': {
      const subtasks = plan.subtasks.map((s) => subtaskScore(s, tests));
      return { score: sum(subtasks.map((s) => s.score)), maxScore: sum(subtasks.map((s) => s.maxScore)), subtasks };
    }
  }
}
