// What the judge needs once the program has run: the expected outputs, the compare mode and the
// limits the run was started with. It is stored beside the job in the attempt's ConfigMap (under a
// key the pod does not mount), so the verdict depends on what the run started with, not on a
// referenced ConfigMap or a Runtime that changed while it ran, nor on which replica collects it.
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { CompareSchema, type CodeRunSpec } from '../../crds/coderun.js';
import { FullLimitsSchema } from '../../crds/limits.js';
import type { ResolvedInputs } from './inputs.js';
import type { ResolvedLimits } from './limits.js';
import type { JudgeInput } from './verdict.js';

export const JudgingRecordSchema = z.object({
  tests: z.array(z.object({ name: z.string(), expectedStdout: z.string().optional() })),
  compare: CompareSchema.optional(),
  limits: z.object({ run: FullLimitsSchema, compile: FullLimitsSchema.optional() }),
  stopOnFirstFailure: z.boolean(),
});
export type JudgingRecord = z.infer<typeof JudgingRecordSchema>;

export function buildJudgingRecord(spec: CodeRunSpec, limits: ResolvedLimits, inputs: ResolvedInputs): JudgingRecord {
  const record: JudgingRecord = {
    tests: inputs.tests.map((t) => (t.expectedStdout === undefined ? { name: t.name } : { name: t.name, expectedStdout: t.expectedStdout })),
    limits: limits.compile ? { run: limits.run, compile: limits.compile } : { run: limits.run },
    stopOnFirstFailure: spec.stopOnFirstFailure ?? false,
  };
  if (spec.compare) record.compare = spec.compare;
  return record;
}

export function encodeJudgingRecord(record: JudgingRecord): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(record), 'utf8'), { level: 6 });
}

export type DecodedJudgingRecord = { ok: true; record: JudgingRecord } | { ok: false; message: string };

export function decodeJudgingRecord(bytes: Uint8Array): DecodedJudgingRecord {
  try {
    const parsed = JudgingRecordSchema.safeParse(JSON.parse(gunzipSync(bytes).toString('utf8')));
    if (parsed.success) return { ok: true, record: parsed.data };
    return { ok: false, message: `the stored judging record is malformed: ${z.prettifyError(parsed.error)}` };
  } catch (err) {
    return { ok: false, message: `the stored judging record cannot be read: ${(err as Error).message}` };
  }
}

/** The judge's input for a run that produced `outcome`. */
export function judgeInputOf(record: JudgingRecord, outcome: JudgeInput['outcome']): JudgeInput {
  return {
    outcome,
    tests: record.tests.map((t) => ({ name: t.name, expectedStdout: t.expectedStdout })),
    compare: record.compare,
    limits: { run: record.limits.run, compile: record.limits.compile },
    stopOnFirstFailure: record.stopOnFirstFailure,
  };
}
