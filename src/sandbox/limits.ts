import type { FullLimits, Limits, LimitName } from '../crds/limits.js';
import { LIMIT_NAMES } from '../crds/limits.js';
import type { RuntimeSpec } from '../crds/runtime.js';

/** The limits a run is executed with: every test's, and the compile step's when there is one. */
export interface ResolvedLimits {
  run: FullLimits;
  compile: FullLimits | undefined;
  /** The checker's, for a run with one (its run limits per test, its compile step's). */
  checker?: { run: FullLimits; compile: FullLimits | undefined } | undefined;
  /** The interactor's, for an interactive run (its run limits per test, beside the program's). */
  interactor?: { run: FullLimits; compile: FullLimits | undefined } | undefined;
}

export interface LimitViolation {
  name: LimitName;
  requested: number;
  max: number;
}

/** Each limit the CodeRun sets, else the Runtime's default. */
export function resolveRunLimits(requested: Limits | undefined, runtime: RuntimeSpec): FullLimits {
  const out = { ...runtime.limits.default };
  for (const name of LIMIT_NAMES) {
    const value = requested?.[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The compile step's limits: the Runtime's own compile limits, else its max limits. A compiler
 * needs more than the program (g++ -O2 takes seconds and hundreds of MiB), and the user's
 * limits are for the program, so they never shrink the compile step.
 */
export function resolveCompileLimits(runtime: RuntimeSpec): FullLimits | undefined {
  if (runtime.compile === undefined) return undefined;
  return runtime.compile.limits ?? runtime.limits.max;
}

export function resolveLimits(requested: Limits | undefined, runtime: RuntimeSpec): ResolvedLimits {
  return { run: resolveRunLimits(requested, runtime), compile: resolveCompileLimits(runtime) };
}

/** The requested limits above the Runtime's max, in LIMIT_NAMES order. */
export function limitsAboveMax(requested: Limits | undefined, max: FullLimits): LimitViolation[] {
  const out: LimitViolation[] = [];
  for (const name of LIMIT_NAMES) {
    const value = requested?.[name];
    if (value !== undefined && value > max[name]) out.push({ name, requested: value, max: max[name] });
  }
  return out;
}
