import { gunzipSync, gzipSync } from 'node:zlib';
import type { CodeRunSpec } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { ResolvedInputs } from './inputs.js';
import type { FullLimits } from '../../crds/limits.js';
import type { ResolvedJudge } from './checker.js';
import type { ResolvedLimits } from '../../sandbox/limits.js';
import { JobDocumentSchema, type JobDocument, type JobProgram } from '../../sandbox/runner-protocol.js';

/** A program's part of a job: its source at its Runtime's source file, extra files, commands, limits, env. */
export function buildJobProgram(
  runtime: RuntimeSpec,
  limits: { run: FullLimits; compile: FullLimits | undefined },
  program: { source: string; files: { path: string; content: string }[] },
  args: readonly string[] = [],
): JobProgram {
  const job: JobProgram = {
    files: [
      { path: runtime.sourceFile, content: program.source, encoding: 'utf8' },
      ...program.files.map((f) => ({ path: f.path, content: f.content, encoding: 'utf8' as const })),
    ],
    run: { command: [...runtime.run.command, ...args] },
    limits: limits.run,
  };
  if (runtime.env !== undefined && runtime.env.length > 0) job.env = runtime.env.map((e) => ({ ...e }));
  if (runtime.compile) {
    job.compile = { command: [...runtime.compile.command], ...(runtime.compile.outputs === undefined ? {} : { outputs: [...runtime.compile.outputs] }) };
    if (limits.compile) job.compileLimits = limits.compile;
  }
  return job;
}

/**
 * The runner's job: the program, the tests, and the checker or the interactor when there is
 * one, with each test's answer (its expected output) for it.
 */
export function buildJobDocument(
  spec: CodeRunSpec,
  runtime: RuntimeSpec,
  limits: ResolvedLimits,
  inputs: ResolvedInputs,
  judges: { checker?: ResolvedJudge | undefined; interactor?: ResolvedJudge | undefined } = {},
): JobDocument {
  const { checker, interactor } = judges;
  const judged = checker !== undefined || interactor !== undefined;
  const tests = inputs.tests.map((t) => (judged ? { name: t.name, stdin: t.stdin, answer: t.expectedStdout ?? '' } : { name: t.name, stdin: t.stdin }));
  const doc: JobDocument = { ...buildJobProgram(runtime, limits, inputs, spec.args), tests };
  if (checker && inputs.checker) doc.checker = buildJobProgram(checker.runtime, checker.limits, inputs.checker);
  if (interactor && inputs.interactor) doc.interactor = buildJobProgram(interactor.runtime, interactor.limits, inputs.interactor);
  return doc;
}

/** The most the runner reads of a job after decompression (MaxJobBytes in runner/internal/protocol). */
export const MAX_JOB_BYTES = 64 * 1024 * 1024;

export type EncodedJob = { ok: true; bytes: Buffer } | { ok: false; message: string };

/** The job as the runner reads it on stdin: gzip-compressed JSON, within the runner's bound. */
export function encodeJobDocument(doc: JobDocument): EncodedJob {
  const json = Buffer.from(JSON.stringify(doc), 'utf8');
  if (json.length > MAX_JOB_BYTES) {
    const mib = (json.length / (1024 * 1024)).toFixed(1);
    return {
      ok: false,
      message: `the job (source, files and every test's stdin) is ${mib} MiB, over the runner's ${MAX_JOB_BYTES / (1024 * 1024)} MiB; split the tests over several CodeRuns or make the inputs smaller`,
    };
  }
  return { ok: true, bytes: gzipSync(json, { level: 6 }) };
}

/** The inverse of encodeJobDocument (for tests and debugging a stored job). */
export function decodeJobDocument(bytes: Uint8Array): JobDocument {
  return JobDocumentSchema.parse(JSON.parse(gunzipSync(bytes).toString('utf8')));
}
