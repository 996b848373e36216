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
  if (runtime.compile) {
    doc.compile = { command: [...runtime.compile.command] };
    if (limits.compile) doc.compileLimits = limits.compile;
  }
  return doc;
}

/** The job as the runner reads it from the ConfigMap: gzip-compressed JSON. */
export function encodeJobDocument(doc: JobDocument): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(doc), 'utf8'), { level: 6 });
}

/** The inverse of encodeJobDocument (for tests and debugging a stored job). */
export function decodeJobDocument(bytes: Uint8Array): JobDocument {
  return JobDocumentSchema.parse(JSON.parse(gunzipSync(bytes).toString('utf8')));
}
