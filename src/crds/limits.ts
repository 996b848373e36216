import { z } from 'zod';

/** The six limits of one run, in the order the user sees them in messages. */
export const LIMIT_NAMES = [
  'cpuTimeMillis',
  'wallTimeMillis',
  'memoryMiB',
  'outputBytes',
  'processes',
  'fileSizeBytes',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

// Hard ceilings: far above any judge's needs, they keep every value a sane int64 and bound the
// cost of the CRD's CEL rules.
const HOUR_MILLIS = 3_600_000;
const GiB = 1024 * 1024 * 1024;

const limit = (max: number, description: string) => z.number().int().min(1).max(max).describe(description);

/** Every limit set: what a Runtime's default and max must give, and what a run is resolved to. */
export const FullLimitsSchema = z.object({
  cpuTimeMillis: limit(HOUR_MILLIS, 'CPU time per test (user + system), milliseconds.'),
  wallTimeMillis: limit(HOUR_MILLIS, 'Wall-clock time per test, milliseconds.'),
  memoryMiB: limit(65536, 'Peak memory per test, MiB.'),
  outputBytes: limit(GiB, 'Bytes of stdout and of stderr, each, per test.'),
  processes: limit(4096, 'Processes and threads the program may have at once.'),
  fileSizeBytes: limit(16 * GiB, 'Largest file the program may write, bytes.'),
});
export type FullLimits = z.infer<typeof FullLimitsSchema>;

/** A CodeRun's limits: each one optional, the Runtime's default fills the gaps. */
export const LimitsSchema = FullLimitsSchema.partial().describe(
  "Per-test limits; an omitted limit takes the Runtime's default, and none may exceed the Runtime's max.",
);
export type Limits = z.infer<typeof LimitsSchema>;
