import { z } from 'zod';
import { FullLimitsSchema } from '../../crds/limits.js';

// The documents exchanged with the runner (issue 3): one job in, one result out. The runner
// does no judging; the controller turns a result into verdicts.

export const JobFileSchema = z.object({
  path: z.string().min(1),
  content: z.string(),
  encoding: z.enum(['utf8', 'base64']).optional(),
});
export type JobFile = z.infer<typeof JobFileSchema>;

export const JobDocumentSchema = z.object({
  files: z.array(JobFileSchema),
  compile: z.object({ command: z.array(z.string()).min(1) }).optional(),
  run: z.object({ command: z.array(z.string()).min(1) }),
  tests: z.array(z.object({ name: z.string(), stdin: z.string() })).min(1),
  limits: FullLimitsSchema,
  compileLimits: FullLimitsSchema.optional(),
});
export type JobDocument = z.infer<typeof JobDocumentSchema>;

export const LIMIT_KINDS = ['cpuTime', 'wallTime', 'memory', 'output', 'fileSize', 'processes'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

const measured = z.number().min(0);

export const CompileResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  output: z.string(),
  outputTruncated: z.boolean(),
  cpuTimeMillis: measured,
  wallTimeMillis: measured,
  limitExceeded: z.enum(LIMIT_KINDS).nullable(),
});
export type CompileResult = z.infer<typeof CompileResultSchema>;

export const TestResultSchema = z.object({
  name: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  cpuTimeMillis: measured,
  wallTimeMillis: measured,
  memoryKiB: measured,
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  limitExceeded: z.enum(LIMIT_KINDS).nullable(),
});
export type TestResult = z.infer<typeof TestResultSchema>;

export const ResultDocumentSchema = z.object({
  compile: CompileResultSchema.nullable(),
  tests: z.array(TestResultSchema),
  error: z.string().nullable(),
});
export type ResultDocument = z.infer<typeof ResultDocumentSchema>;

export type ParsedResult = { ok: true; result: ResultDocument } | { ok: false; message: string };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses the runner's output: the whole text as one JSON document, or else the last line that is
 * one. A container log carries stderr too, so diagnostic lines may stand before or after it.
 */
export function parseResultDocument(text: string): ParsedResult {
  const lastJsonLine = () =>
    text
      .split('\n')
      .reverse()
      .map((line) => (line.trimStart().startsWith('{') ? parseJson(line) : undefined))
      .find((json) => json !== undefined);
  const json = parseJson(text.trim()) ?? lastJsonLine();
  if (json === undefined) {
    const excerpt = text.length > 200 ? `${text.slice(0, 200)}...` : text;
    return { ok: false, message: `the runner printed no result document (its output: ${JSON.stringify(excerpt)})` };
  }
  const parsed = ResultDocumentSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message: `the runner's result document is malformed: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}` };
  }
  return { ok: true, result: parsed.data };
}
