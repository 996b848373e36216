import { z } from 'zod';
import { FullLimitsSchema } from '../crds/limits.js';

// The documents exchanged with the runner (issue 3): one job in, one result out. The runner
// does no judging; the controller turns a result into verdicts.

/** How text in a document carries bytes: as UTF-8 text, or standard base64 with padding. */
const EncodingSchema = z.enum(['utf8', 'base64']);
export type Encoding = z.infer<typeof EncodingSchema>;

export const JobFileSchema = z.object({
  path: z.string().min(1),
  content: z.string(),
  encoding: EncodingSchema.optional(),
});
export type JobFile = z.infer<typeof JobFileSchema>;

const StepSchema = z.object({ command: z.array(z.string()).min(1) });
const EnvSchema = z.array(z.object({ name: z.string(), value: z.string() }));

/** A program the runner compiles and runs: the submission, the checker or the interactor. */
export const JobProgramSchema = z.object({
  files: z.array(JobFileSchema),
  /** outputs: what the runs need of the compile step's work directory (the rest is removed). */
  compile: StepSchema.extend({ outputs: z.array(z.string()).min(1).optional() }).optional(),
  run: StepSchema,
  limits: FullLimitsSchema,
  compileLimits: FullLimitsSchema.optional(),
  /** The Runtime's env, on top of the runner's fixed set (runner/PROTOCOL.md). */
  env: EnvSchema.optional(),
});
export type JobProgram = z.infer<typeof JobProgramSchema>;

export const JobDocumentSchema = JobProgramSchema.extend({
  /** answer: the expected output, given to the checker or interactor only (jobs with one). */
  tests: z.array(z.object({ name: z.string(), stdin: z.string(), answer: z.string().optional() })).min(1),
  /** Compiled once in a directory of its own, run after each test that finished. */
  checker: JobProgramSchema.optional(),
  /** Compiled once in a directory of its own, run beside the program on each test (never with a checker). */
  interactor: JobProgramSchema.optional(),
});
export type JobDocument = z.infer<typeof JobDocumentSchema>;

export const LIMIT_KINDS = ['cpuTime', 'wallTime', 'memory', 'output', 'fileSize', 'processes'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

const measured = z.number().min(0);

/**
 * The bytes a captured output stands for, or undefined when base64 text is not standard base64
 * with padding. (The runner sends base64 for bytes that are not UTF-8, or when JSON escaping
 * would make the text longer.)
 */
function outputBytes(text: string, encoding: Encoding): Buffer | undefined {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const bytes = Buffer.from(text, 'base64');
  // Node's decoder skips what is not base64; only a text that encodes back to itself is whole.
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Decodes the output at `field`, or records an issue there and returns undefined. */
function decodeOutput(text: string, encoding: Encoding, field: string, ctx: z.RefinementCtx): Buffer | undefined {
  const bytes = outputBytes(text, encoding);
  if (bytes === undefined) ctx.issues.push({ code: 'custom', message: `${field} is not standard base64 with padding`, input: text, path: [field] });
  return bytes;
}

// Each captured output comes with its encoding; the parsed result holds the output's bytes.
export const CompileResultSchema = z
  .object({
    exitCode: z.number().int().nullable(),
    signal: z.number().int().nullable(),
    output: z.string(),
    outputEncoding: EncodingSchema,
    outputTruncated: z.boolean(),
    cpuTimeMillis: measured,
    wallTimeMillis: measured,
    limitExceeded: z.enum(LIMIT_KINDS).nullable(),
  })
  .transform(({ outputEncoding, ...compile }, ctx) => {
    const output = decodeOutput(compile.output, outputEncoding, 'output', ctx);
    return output === undefined ? z.NEVER : { ...compile, output };
  });
export type CompileResult = z.infer<typeof CompileResultSchema>;

const RunFields = {
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  cpuTimeMillis: measured,
  wallTimeMillis: measured,
  memoryKiB: measured,
  stdout: z.string(),
  stdoutEncoding: EncodingSchema,
  stderr: z.string(),
  stderrEncoding: EncodingSchema,
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  limitExceeded: z.enum(LIMIT_KINDS).nullable(),
};

type EncodedOutputs = { stdout: string; stdoutEncoding: Encoding; stderr: string; stderrEncoding: Encoding };
type Decoded<T extends EncodedOutputs> = Omit<T, keyof EncodedOutputs> & { stdout: Buffer; stderr: Buffer };

/** One run of a program, its outputs decoded to bytes. */
function decodeRun<T extends EncodedOutputs>(run: T, ctx: z.RefinementCtx): Decoded<T> {
  const { stdout: stdoutText, stdoutEncoding, stderr: stderrText, stderrEncoding, ...rest } = run;
  const stdout = decodeOutput(stdoutText, stdoutEncoding, 'stdout', ctx);
  const stderr = decodeOutput(stderrText, stderrEncoding, 'stderr', ctx);
  return stdout === undefined || stderr === undefined ? z.NEVER : { ...rest, stdout, stderr };
}

/** The checker's run on a test, or the interactor's beside the program. */
export const CheckerRunSchema = z.object(RunFields).transform(decodeRun);
export type CheckerRun = z.infer<typeof CheckerRunSchema>;

export const TestResultSchema = z
  .object({ name: z.string(), ...RunFields, checker: CheckerRunSchema.optional(), interactor: CheckerRunSchema.optional() })
  .transform(decodeRun);
export type TestResult = z.infer<typeof TestResultSchema>;

export const ResultDocumentSchema = z.object({
  compile: CompileResultSchema.nullable(),
  checkerCompile: CompileResultSchema.optional(),
  interactorCompile: CompileResultSchema.optional(),
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
