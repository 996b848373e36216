import { gunzipSync, gzipSync } from 'node:zlib';
import type { CodeRunSpec } from '../../crds/coderun.js';
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { ResolvedInputs } from './inputs.js';
import type { ResolvedLimits } from './limits.js';
import { JobDocumentSchema, type JobDocument } from './runner-protocol.js';

/** The runner's job: the source at the Runtime's source file, extra files, commands, tests, limits. */
export function buildJobDocument(spec: CodeRunSpec, runtime: RuntimeSpec, limits: ResolvedLimits, inputs: ResolvedInputs): JobDocument {
  const doc: JobDocument = {
    files: [
      { path: runtime.sourceFile, content: inputs.source, encoding: 'utf8' },
      ...inputs.files.map((f) => ({ path: f.path, content: f.content, encoding: 'utf8' as const })),
    ],
    run: { command: [...runtime.run.command, ...(spec.args ?? [])] },
    tests: inputs.tests.map((t) => ({ name: t.name, stdin: t.stdin })),
    limits: limits.run,
  };
  if (runtime.env !== undefined && runtime.env.length > 0) doc.env = runtime.env.map((e) => ({ ...e }));
  if (runtime.compile) {
    doc.compile = { command: [...runtime.compile.command], ...(runtime.compile.outputs === undefined ? {} : { outputs: [...runtime.compile.outputs] }) };
    if (limits.compile) doc.compileLimits = limits.compile;
  }
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
