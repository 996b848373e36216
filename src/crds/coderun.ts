import { z } from 'zod';
import { API_VERSION, ConditionsSchema, KeyRefSchema, ObjectMetaSchema, RELATIVE_PATH, matching, objectName } from './common.js';
import { LimitsSchema } from './limits.js';
import { MAX_SUBTASKS, SubtaskSchema, TestPointsSchema, scoringIssues } from './scoring.js';
import { withRules } from './rules.js';

// Inline text is bounded so that the object stays well within etcd's limit and the CEL rules have
// a bounded cost; bigger inputs go through a ConfigMap or Secret reference.
export const MAX_INLINE_CHARS = 262_144;
export const MAX_TESTS = 512;
export const MAX_FILES = 64;

const inlineText = (what: string) =>
  z.string().max(MAX_INLINE_CHARS, { message: `${what} is over ${MAX_INLINE_CHARS} characters; move it to a ConfigMap and reference it` });

const exactlyOne = <K extends string>(value: Partial<Record<K, unknown>>, keys: readonly K[]): boolean =>
  keys.filter((k) => value[k] !== undefined).length === 1;

export const SourceSchema = withRules(
  z.object({
    inline: inlineText('source.inline').optional(),
    configMapKeyRef: KeyRefSchema.optional(),
    secretKeyRef: KeyRefSchema.optional(),
  }),
  [
    {
      cel: '[has(self.inline), has(self.configMapKeyRef), has(self.secretKeyRef)].exists_one(x, x)',
      holds: (s) => exactlyOne(s, ['inline', 'configMapKeyRef', 'secretKeyRef']),
      message: 'set exactly one of source.inline, source.configMapKeyRef or source.secretKeyRef',
    },
  ],
);
export type Source = z.infer<typeof SourceSchema>;

/** Where a test's large input or expected output lives. */
export const DataRefSchema = withRules(
  z.object({
    configMapKeyRef: KeyRefSchema.optional(),
    secretKeyRef: KeyRefSchema.optional(),
    gzip: z
      .boolean()
      .optional()
      .describe('The referenced value is gzip-compressed (binaryData): how an input over the 1 MiB ConfigMap limit fits.'),
  }),
  [
    {
      cel: 'has(self.configMapKeyRef) != has(self.secretKeyRef)',
      holds: (r) => exactlyOne(r, ['configMapKeyRef', 'secretKeyRef']),
      message: 'set exactly one of configMapKeyRef or secretKeyRef',
    },
  ],
);
export type DataRef = z.infer<typeof DataRefSchema>;

export const TestCaseSchema = withRules(
  z.object({
    name: z.string().min(1).max(64).describe('Unique within the run; the order of tests is the order of judging.'),
    stdin: inlineText('a test stdin').optional(),
    stdinFrom: DataRefSchema.optional(),
    expectedStdout: inlineText('a test expectedStdout').optional(),
    expectedStdoutFrom: DataRefSchema.optional(),
    points: TestPointsSchema.optional(),
  }),
  [
    {
      cel: '!(has(self.stdin) && has(self.stdinFrom))',
      holds: (t) => t.stdin === undefined || t.stdinFrom === undefined,
      message: 'set stdin or stdinFrom, not both',
      path: ['stdinFrom'],
    },
    {
      cel: '!(has(self.expectedStdout) && has(self.expectedStdoutFrom))',
      holds: (t) => t.expectedStdout === undefined || t.expectedStdoutFrom === undefined,
      message: 'set expectedStdout or expectedStdoutFrom, not both',
      path: ['expectedStdoutFrom'],
    },
  ],
);
export type TestCase = z.infer<typeof TestCaseSchema>;

export const COMPARE_MODES = ['exact', 'trimTrailingWhitespace', 'tokens', 'float'] as const;
export type CompareMode = (typeof COMPARE_MODES)[number];

export const CompareSchema = withRules(
  z.object({
    mode: z.enum(COMPARE_MODES).describe('How stdout is compared with expectedStdout.'),
    absTolerance: z.number().min(0).optional().describe('float mode: largest accepted absolute difference (default 1e-6).'),
    relTolerance: z.number().min(0).optional().describe('float mode: largest accepted relative difference (default 1e-6).'),
  }),
  [
    {
      cel: "self.mode == 'float' || !(has(self.absTolerance) || has(self.relTolerance))",
      holds: (c) => c.mode === 'float' || (c.absTolerance === undefined && c.relTolerance === undefined),
      message: 'absTolerance and relTolerance apply only to compare.mode float; set the mode to float or remove them',
    },
  ],
);
export type Compare = z.infer<typeof CompareSchema>;

export const ExtraFileSchema = z.object({
  path: matching(z.string().min(1).max(255), RELATIVE_PATH, 'a file path must be relative, without "." or ".." segments, e.g. "data/in.txt"'),
  content: inlineText('a file content'),
});
export type ExtraFile = z.infer<typeof ExtraFileSchema>;

const filesOf = (what: string) =>
  z
    .array(ExtraFileSchema)
    .max(MAX_FILES)
    .optional()
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['path'] })
    .describe(`Extra files written next to the ${what}'s source.`);

/** A problem setter's program the judge runs in the sandbox: a checker or an interactor. */
const judgeProgram = (what: string) =>
  z.object({
    runtime: objectName('runtime').describe("Name of a Runtime with the same image as the program's (it runs in the program's sandbox pod)."),
    source: SourceSchema,
    files: filesOf(what),
    limits: LimitsSchema.optional().describe("Limits of each of its runs (default: its Runtime's)."),
  });
export const JudgeProgramSchema = judgeProgram('checker');
export type JudgeProgram = z.infer<typeof JudgeProgramSchema>;

const IMMUTABLE_MESSAGE = 'the spec of a CodeRun is immutable; create a new CodeRun instead of changing this one';

const CodeRunSpecObject = z
  .object({
    runtime: objectName('runtime').describe('Name of a Runtime, e.g. python3.'),
    source: SourceSchema,
    files: filesOf('program'),
    args: z.array(z.string().max(4096)).max(256).optional().describe('Appended to the Runtime run command.'),
    stdin: inlineText('stdin').optional().describe('Standard input of a run without tests.'),
    tests: z
      .array(TestCaseSchema)
      .min(1)
      .max(MAX_TESTS)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    compare: CompareSchema.optional(),
    checker: JudgeProgramSchema.optional().describe(
      "Judges each test's output instead of compare: run with the input, output and expected output files (testlib's order and exit codes).",
    ),
    interactor: judgeProgram('interactor')
      .optional()
      .describe(
        "Talks with the program during each test (an interactive problem): its stdout is the program's stdin and the program's stdout its stdin; run with the test's input and output files (testlib's order); its exit code is the verdict (testlib's).",
      ),
    limits: LimitsSchema.optional(),
    stopOnFirstFailure: z.boolean().optional().describe('Judge no test after the first one that fails (default false).'),
    subtasks: z
      .array(SubtaskSchema)
      .min(1)
      .max(MAX_SUBTASKS)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
      .describe('Groups of tests scored together; every test belongs to one. Judged in this order.'),
    ttlSecondsAfterFinished: z.number().int().min(0).max(31_536_000).optional().describe('Delete the CodeRun this long after it finished.'),
  })
  .superRefine((spec, ctx) => {
    const names = new Set<string>();
    for (const [i, t] of (spec.tests ?? []).entries()) {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tests', i, 'name'], message: `test name "${t.name}" is used twice; give each test its own name` });
      names.add(t.name);
    }
    const paths = new Set<string>();
    for (const [i, f] of (spec.files ?? []).entries()) {
      if (paths.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `file path "${f.path}" is used twice` });
      paths.add(f.path);
    }
    for (const judge of ['checker', 'interactor'] as const) {
      const files = spec[judge]?.files ?? [];
      for (const [i, f] of files.entries()) {
        if (files.findIndex((g) => g.path === f.path) !== i) ctx.addIssue({ code: 'custom', path: [judge, 'files', i, 'path'], message: `file path "${f.path}" is used twice` });
      }
    }
    for (const issue of scoringIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });

export const CodeRunSpecSchema = withRules(
  CodeRunSpecObject,
  [
    {
      cel: '!(has(self.stdin) && has(self.tests))',
      holds: (spec) => spec.stdin === undefined || spec.tests === undefined,
      message: 'set stdin or tests, not both; put the input into a test instead',
      path: ['stdin'],
    },
    {
      cel: '!(has(self.checker) && has(self.compare))',
      holds: (spec) => spec.checker === undefined || spec.compare === undefined,
      message: 'the checker judges the output; remove compare',
      path: ['compare'],
    },
    {
      cel: '!has(self.checker) || has(self.tests)',
      holds: (spec) => spec.checker === undefined || spec.tests !== undefined,
      message: 'a checker judges tests; add tests or remove the checker',
      path: ['checker'],
    },
    {
      cel: '!(has(self.checker) && has(self.interactor))',
      holds: (spec) => spec.checker === undefined || spec.interactor === undefined,
      message: "an interactor gives the verdict itself; remove the checker (or the interactor)",
      path: ['interactor'],
    },
    {
      cel: '!(has(self.interactor) && has(self.compare))',
      holds: (spec) => spec.interactor === undefined || spec.compare === undefined,
      message: 'the interactor judges the run; remove compare',
      path: ['compare'],
    },
    {
      cel: '!has(self.interactor) || has(self.tests)',
      holds: (spec) => spec.interactor === undefined || spec.tests !== undefined,
      message: "an interactor judges tests (each test's stdin is its input); add tests or remove the interactor",
      path: ['interactor'],
    },
  ],
  [
    { rule: 'self == oldSelf', message: IMMUTABLE_MESSAGE },
    // zod: scoringIssues (crds/scoring.ts), with the other rules of subtasks.
    {
      rule: '!has(self.subtasks) || !has(self.stopOnFirstFailure) || !self.stopOnFirstFailure',
      message: 'subtasks already stop at the first failure inside each subtask; remove stopOnFirstFailure',
    },
  ],
);
export type CodeRunSpec = z.infer<typeof CodeRunSpecSchema>;

export const PHASES = ['Pending', 'Running', 'Completed', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

export const VERDICTS = [
  'Accepted',
  'WrongAnswer',
  'CompilationError',
  'RuntimeError',
  'TimeLimitExceeded',
  'MemoryLimitExceeded',
  'OutputLimitExceeded',
  'SystemError',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A test's verdict; Skipped marks a test not judged because of stopOnFirstFailure. */
export const TEST_VERDICTS = [...VERDICTS, 'Skipped'] as const;
export type TestVerdict = (typeof TEST_VERDICTS)[number];

const millis = z.number().int().min(0);

// Program output is bytes; the status keeps what are not UTF-8 as base64, marked beside them.
const outputEncoding = (field: string) =>
  z
    .enum(['base64'])
    .optional()
    .describe(`base64: ${field} is the base64 of bytes that are not UTF-8 text. Absent: ${field} is the text.`);

export const TestStatusSchema = z.object({
  name: z.string(),
  verdict: z.enum(TEST_VERDICTS),
  message: z.string().optional().describe('Why this verdict, e.g. where the output differs.'),
  exitCode: z.number().int().optional(),
  signal: z.number().int().optional(),
  cpuTimeMillis: millis.optional(),
  wallTimeMillis: millis.optional(),
  memoryKiB: z.number().int().min(0).optional(),
  stdout: z.string().optional(),
  stdoutEncoding: outputEncoding('stdout'),
  stderr: z.string().optional(),
  stderrEncoding: outputEncoding('stderr'),
  truncated: z.boolean().optional().describe('stdout or stderr here is shorter than what the program wrote.'),
  score: z.number().min(0).optional().describe('Points earned (runs with test points).'),
});
export type TestStatus = z.infer<typeof TestStatusSchema>;

export const SubtaskStatusSchema = z.object({
  name: z.string(),
  verdict: z.enum(TEST_VERDICTS).describe('Accepted when every test passed; else the verdict of its first failed test, or Skipped when a subtask it depends on did not pass.'),
  score: z.number().min(0),
  maxScore: z.number().min(0),
  message: z.string().optional(),
});
export type SubtaskStatus = z.infer<typeof SubtaskStatusSchema>;

export const CompileStatusSchema = z.object({
  exitCode: z.number().int().optional(),
  signal: z.number().int().optional(),
  output: z.string(),
  outputEncoding: outputEncoding('output'),
  truncated: z.boolean().optional(),
  cpuTimeMillis: millis.optional(),
  wallTimeMillis: millis.optional(),
});
export type CompileStatus = z.infer<typeof CompileStatusSchema>;

/** Where a run executed: a pod created for it (cold) or a claimed pool pod (warm). */
export const RUN_PATHS = ['cold', 'warm'] as const;
export type RunPath = (typeof RUN_PATHS)[number];

export const CodeRunStatusSchema = z.object({
  phase: z.enum(PHASES).optional(),
  verdict: z.enum(VERDICTS).optional(),
  message: z.string().optional(),
  path: z.enum(RUN_PATHS).optional(),
  compile: CompileStatusSchema.optional(),
  tests: z.array(TestStatusSchema).optional(),
  cpuTimeMillis: millis.optional().describe('Largest CPU time over the tests.'),
  wallTimeMillis: millis.optional().describe('Largest wall time over the tests.'),
  memoryKiB: z.number().int().min(0).optional().describe('Largest peak memory over the tests.'),
  score: z.number().min(0).optional().describe('Points earned (runs with points or subtasks).'),
  maxScore: z.number().min(0).optional().describe('Points a run can earn.'),
  subtasks: z.array(SubtaskStatusSchema).optional(),
  podName: z.string().optional(),
  attempts: z.number().int().min(0).optional(),
  startedAt: z.string().meta({ format: 'date-time' }).optional(),
  finishedAt: z.string().meta({ format: 'date-time' }).optional(),
  conditions: ConditionsSchema.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type CodeRunStatus = z.infer<typeof CodeRunStatusSchema>;

export const CodeRunSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('CodeRun'),
  metadata: ObjectMetaSchema,
  spec: CodeRunSpecSchema,
  status: CodeRunStatusSchema.optional(),
});
export type CodeRun = z.infer<typeof CodeRunSchema>;
