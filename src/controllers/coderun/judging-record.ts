// What the judge needs once the program has run: the expected outputs, the compare mode and the
// limits the run was started with. It is kept with the attempt's execution in the operator's
// memory (never in the sandbox), so the verdict depends on what the run started with, not on a
// referenced ConfigMap or a Runtime that changed while it ran.
import type { CodeRunSpec, Compare } from '../../crds/coderun.js';
import type { FullLimits } from '../../crds/limits.js';
import type { ResolvedInputs } from './inputs.js';
import type { ResolvedLimits } from '../../sandbox/limits.js';
import { scoringPlan, type ScoringPlan } from './scoring.js';
import type { JudgeInput } from './verdict.js';

type JudgeLimits = { run: FullLimits; compile?: FullLimits };

export interface JudgingRecord {
  tests: Array<{ name: string; expectedStdout?: string }>;
  compare?: Compare;
  limits: { run: FullLimits; compile?: FullLimits; checker?: JudgeLimits; interactor?: JudgeLimits };
  stopOnFirstFailure: boolean;
  scoring: ScoringPlan;
}

export function buildJudgingRecord(spec: CodeRunSpec, limits: ResolvedLimits, inputs: ResolvedInputs): JudgingRecord {
  const record: JudgingRecord = {
    tests: inputs.tests.map((t) => (t.expectedStdout === undefined ? { name: t.name } : { name: t.name, expectedStdout: t.expectedStdout })),
    limits: limits.compile ? { run: limits.run, compile: limits.compile } : { run: limits.run },
    stopOnFirstFailure: spec.stopOnFirstFailure ?? false,
    scoring: scoringPlan(spec),
  };
  if (spec.compare) record.compare = spec.compare;
  if (limits.checker) record.limits.checker = limits.checker.compile ? { ...limits.checker } : { run: limits.checker.run };
  if (limits.interactor) record.limits.interactor = limits.interactor.compile ? { ...limits.interactor } : { run: limits.interactor.run };
  return record;
}

/** The judge's input for a run that produced `outcome`: expected outputs as the bytes of their text. */
export function judgeInputOf(record: JudgingRecord, outcome: JudgeInput['outcome']): JudgeInput {
  return {
    outcome,
    tests: record.tests.map((t) => ({ name: t.name, expectedStdout: t.expectedStdout === undefined ? undefined : Buffer.from(t.expectedStdout, 'utf8') })),
    compare: record.compare,
    limits: {
      run: record.limits.run,
      compile: record.limits.compile,
      checker: record.limits.checker && { run: record.limits.checker.run, compile: record.limits.checker.compile },
      interactor: record.limits.interactor && { run: record.limits.interactor.run, compile: record.limits.interactor.compile },
    },
    stopOnFirstFailure: record.stopOnFirstFailure,
    scoring: record.scoring,
  };
}
