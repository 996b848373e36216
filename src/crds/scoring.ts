import { z } from 'zod';

// Scoring as olympiads and DMOJ do it: points per test, or subtasks (DMOJ's batches) that group
// tests, each worth points, optionally depending on earlier subtasks.

export const MAX_SUBTASKS = 64;
export const MAX_POINTS = 1_000_000;

export const SUBTASK_SCORING = ['allOrNothing', 'minimum'] as const;
export type SubtaskScoring = (typeof SUBTASK_SCORING)[number];

const points = (what: string) => z.number().min(0).max(MAX_POINTS).describe(what);

export const TestPointsSchema = points('Points this test is worth (runs without subtasks): a run with points gets a score.');

export const SubtaskSchema = z.object({
  name: z.string().min(1).max(64).describe('Unique among the subtasks.'),
  points: points('Points the subtask is worth.'),
  tests: z.array(z.string().min(1).max(64)).min(1).max(512).describe('Names of its tests, judged in this order; each test is in exactly one subtask.'),
  scoring: z
    .enum(SUBTASK_SCORING)
    .optional()
    .describe('allOrNothing (default): the points when every test passes, else 0. minimum: the points times the smallest fraction a test earned (a checker can give partial points).'),
  dependsOn: z
    .array(z.string().min(1).max(64))
    .max(MAX_SUBTASKS)
    .optional()
    .describe('Earlier subtasks that must pass in full; if one does not, this subtask is not judged and scores 0.'),
});
export type Subtask = z.infer<typeof SubtaskSchema>;

/** What the scoring rules need of a spec. */
export interface ScoredSpec {
  tests?: { name: string; points?: number | undefined }[] | undefined;
  subtasks?: Subtask[] | undefined;
  stopOnFirstFailure?: boolean | undefined;
}

/** The spec's scoring mistakes, each with the field it is in and what to change. */
export function scoringIssues(spec: ScoredSpec): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const subtasks = spec.subtasks;
  if (subtasks === undefined) return issues;
  const tests = spec.tests ?? [];
  if (tests.length === 0) issues.push({ path: ['subtasks'], message: 'subtasks group tests; add tests or remove subtasks' });
  if (spec.stopOnFirstFailure === true) {
    issues.push({ path: ['stopOnFirstFailure'], message: 'subtasks already stop at the first failure inside each subtask; remove stopOnFirstFailure' });
  }
  for (const [i, t] of tests.entries()) {
    if (t.points !== undefined) issues.push({ path: ['tests', i, 'points'], message: 'with subtasks, points belong to the subtasks; remove the test\'s points' });
  }
  const known = new Set(tests.map((t) => t.name));
  const owner = new Map<string, string>();
  const earlier = new Set<string>();
  for (const [i, s] of subtasks.entries()) {
    if (earlier.has(s.name)) issues.push({ path: ['subtasks', i, 'name'], message: `subtask name "${s.name}" is used twice; give each subtask its own name` });
    for (const [j, name] of s.tests.entries()) {
      if (!known.has(name)) issues.push({ path: ['subtasks', i, 'tests', j], message: `there is no test named "${name}"; name one of spec.tests` });
      else if (owner.has(name)) issues.push({ path: ['subtasks', i, 'tests', j], message: `test "${name}" is already in subtask "${owner.get(name)}"; put each test in one subtask (use dependsOn to reuse a subtask)` });
      else owner.set(name, s.name);
    }
    for (const [j, dep] of (s.dependsOn ?? []).entries()) {
      if (!earlier.has(dep)) issues.push({ path: ['subtasks', i, 'dependsOn', j], message: `"${dep}" is not a subtask listed before "${s.name}"; a subtask depends only on earlier ones` });
    }
    earlier.add(s.name);
  }
  for (const [i, t] of tests.entries()) {
    if (known.has(t.name) && !owner.has(t.name)) issues.push({ path: ['tests', i, 'name'], message: `test "${t.name}" is in no subtask; add it to one (a subtask of 0 points for samples)` });
  }
  return issues;
}
