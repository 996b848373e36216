import { gunzipSync } from 'node:zlib';
import type { CodeRunSpec, DataRef } from '../../crds/coderun.js';
import type { KeyRef } from '../../crds/common.js';
import type { ReferencedObjects } from '../../kube/reference-reader.js';

/** The name of the one test of a run given `stdin` (or no input) instead of `tests`. */
export const SINGLE_RUN_TEST_NAME = 'main';

/** A ConfigMap or Secret key the spec reads, and the field that reads it. */
export interface DataReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  key: string;
  gzip: boolean;
  field: string;
}

export interface ResolvedTest {
  name: string;
  stdin: string;
  /** Undefined when the test only runs the program (no output to compare). */
  expectedStdout: string | undefined;
}

/** A checker's or interactor's source and files. */
export interface JudgeInputs {
  source: string;
  files: { path: string; content: string }[];
}

/** Every input of a run as text, references replaced by what they point at. */
export interface ResolvedInputs {
  source: string;
  files: { path: string; content: string }[];
  tests: ResolvedTest[];
  /** spec.checker's source and files. */
  checker?: JudgeInputs | undefined;
  /** spec.interactor's source and files. */
  interactor?: JudgeInputs | undefined;
}

/**
 * ok; or `missing`: an object or key is not there (yet): wait a short grace, then fail;
 * or `invalid`: the data is there but unusable, so waiting cannot help.
 */
export type InputsResolution =
  | { kind: 'ok'; inputs: ResolvedInputs }
  | { kind: 'missing'; message: string; references: DataReference[] }
  | { kind: 'invalid'; message: string };

function fromKeyRefs(
  field: string,
  refs: { configMapKeyRef?: KeyRef | undefined; secretKeyRef?: KeyRef | undefined },
  gzip: boolean,
): DataReference | undefined {
  if (refs.configMapKeyRef) return { kind: 'ConfigMap', ...refs.configMapKeyRef, gzip, field: `${field}.configMapKeyRef` };
  if (refs.secretKeyRef) return { kind: 'Secret', ...refs.secretKeyRef, gzip, field: `${field}.secretKeyRef` };
  return undefined;
}

const fromDataRef = (field: string, ref: DataRef | undefined) => (ref ? fromKeyRefs(field, ref, ref.gzip ?? false) : undefined);

/** Every reference in the spec, in spec order: what the caller must fetch. */
export function listReferences(spec: CodeRunSpec): DataReference[] {
  const refs = [fromKeyRefs('spec.source', spec.source, false)];
  if (spec.checker) refs.push(fromKeyRefs('spec.checker.source', spec.checker.source, false));
  if (spec.interactor) refs.push(fromKeyRefs('spec.interactor.source', spec.interactor.source, false));
  for (const [i, t] of (spec.tests ?? []).entries()) {
    refs.push(fromDataRef(`spec.tests[${i}].stdinFrom`, t.stdinFrom), fromDataRef(`spec.tests[${i}].expectedStdoutFrom`, t.expectedStdoutFrom));
  }
  return refs.filter((r): r is DataReference => r !== undefined);
}

type Lookup = { kind: 'found'; bytes: Buffer } | { kind: 'missing'; what: string };

function lookUp(ref: DataReference, objects: ReferencedObjects): Lookup {
  if (ref.kind === 'ConfigMap') {
    const cm = objects.configMap(ref.name);
    if (!cm) return { kind: 'missing', what: `ConfigMap ${ref.name}` };
    const text = cm.data?.[ref.key];
    if (text !== undefined) return { kind: 'found', bytes: Buffer.from(text, 'utf8') };
    const binary = cm.binaryData?.[ref.key];
    if (binary !== undefined) return { kind: 'found', bytes: Buffer.from(binary, 'base64') };
    return { kind: 'missing', what: `key "${ref.key}" in ConfigMap ${ref.name}` };
  }
  const secret = objects.secret(ref.name);
  if (!secret) return { kind: 'missing', what: `Secret ${ref.name}` };
  const value = secret.data?.[ref.key];
  if (value === undefined) return { kind: 'missing', what: `key "${ref.key}" in Secret ${ref.name}` };
  return { kind: 'found', bytes: Buffer.from(value, 'base64') };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(ref: DataReference, bytes: Buffer): { text: string } | { error: string } {
  let raw = bytes;
  if (ref.gzip) {
    try {
      raw = gunzipSync(bytes);
    } catch {
      return { error: `${ref.field}: ${ref.kind} ${ref.name} key "${ref.key}" is not gzip data; store it gzip-compressed in binaryData or remove gzip: true` };
    }
  }
  try {
    return { text: utf8.decode(raw) };
  } catch {
    return { error: `${ref.field}: ${ref.kind} ${ref.name} key "${ref.key}" is not UTF-8 text` };
  }
}

/** Replaces every reference of the spec by its data. Pure: the caller fetched the objects. */
export function resolveInputs(spec: CodeRunSpec, objects: ReferencedObjects): InputsResolution {
  const texts = new Map<string, string>();
  const missing: { ref: DataReference; what: string }[] = [];
  const errors: string[] = [];
  for (const ref of listReferences(spec)) {
    const found = lookUp(ref, objects);
    if (found.kind === 'missing') {
      missing.push({ ref, what: found.what });
      continue;
    }
    const decoded = decode(ref, found.bytes);
    if ('error' in decoded) errors.push(decoded.error);
    else texts.set(ref.field, decoded.text);
  }
  if (errors.length > 0) return { kind: 'invalid', message: errors.join('; ') };
  if (missing.length > 0) {
    return {
      kind: 'missing',
      message: missing.map((m) => `${m.ref.field}: ${m.what} does not exist in the CodeRun's namespace; create it`).join('; '),
      references: missing.map((m) => m.ref),
    };
  }
  const source = spec.source.inline ?? refText(texts, 'spec.source') ?? '';
  const tests: ResolvedTest[] = spec.tests
    ? spec.tests.map((t, i) => ({
        name: t.name,
        stdin: t.stdin ?? refText(texts, `spec.tests[${i}].stdinFrom`) ?? '',
        expectedStdout: t.expectedStdout ?? refText(texts, `spec.tests[${i}].expectedStdoutFrom`),
      }))
    : [{ name: SINGLE_RUN_TEST_NAME, stdin: spec.stdin ?? '', expectedStdout: undefined }];
  const files = (spec.files ?? []).map((f) => ({ path: f.path, content: f.content }));
  const judge = (field: 'checker' | 'interactor'): JudgeInputs | undefined => {
    const program = spec[field];
    return (
      program && {
        source: program.source.inline ?? refText(texts, `spec.${field}.source`) ?? '',
        files: (program.files ?? []).map((f) => ({ path: f.path, content: f.content })),
      }
    );
  };
  return { kind: 'ok', inputs: { source, files, tests, checker: judge('checker'), interactor: judge('interactor') } };
}

function refText(texts: Map<string, string>, field: string): string | undefined {
  return texts.get(`${field}.configMapKeyRef`) ?? texts.get(`${field}.secretKeyRef`);
}
