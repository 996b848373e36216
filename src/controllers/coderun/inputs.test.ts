import { gzipSync } from 'node:zlib';
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { CodeRunSpec } from '../../crds/coderun.js';
import type { ReferencedObjects } from '../../kube/reference-reader.js';
import { SINGLE_RUN_TEST_NAME, listReferences, resolveInputs } from './inputs.js';

function objects(configMaps: Record<string, V1ConfigMap>, secrets: Record<string, V1Secret> = {}): ReferencedObjects {
  return { configMap: (name) => configMaps[name], secret: (name) => secrets[name] };
}
const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64');

const withRefs: CodeRunSpec = {
  runtime: 'python3',
  source: { secretKeyRef: { name: 'solution', key: 'main.py' } },
  tests: [
    { name: '1', stdin: '1 2\n', expectedStdout: '3\n' },
    { name: '2', stdinFrom: { configMapKeyRef: { name: 'big', key: 'in' } }, expectedStdoutFrom: { configMapKeyRef: { name: 'big', key: 'out' } } },
    { name: '3', stdinFrom: { configMapKeyRef: { name: 'packed', key: 'in.gz' }, gzip: true } },
  ],
};

test('listReferences lists every reference with the field that makes it', () => {
  expect(listReferences(withRefs)).toEqual([
    { kind: 'Secret', name: 'solution', key: 'main.py', gzip: false, field: 'spec.source.secretKeyRef' },
    { kind: 'ConfigMap', name: 'big', key: 'in', gzip: false, field: 'spec.tests[1].stdinFrom.configMapKeyRef' },
    { kind: 'ConfigMap', name: 'big', key: 'out', gzip: false, field: 'spec.tests[1].expectedStdoutFrom.configMapKeyRef' },
    { kind: 'ConfigMap', name: 'packed', key: 'in.gz', gzip: true, field: 'spec.tests[2].stdinFrom.configMapKeyRef' },
  ]);
});

const all = objects(
  {
    big: { data: { in: '5 6\n' }, binaryData: { out: b64('11\n') } },
    packed: { binaryData: { 'in.gz': b64(gzipSync('7 8\n'.repeat(1000))) } },
  },
  { solution: { data: { 'main.py': b64('print(sum(map(int, input().split())))') } } },
);

test('resolveInputs replaces references by their data (data, binaryData, Secret, gzip)', () => {
  expect(resolveInputs(withRefs, all)).toEqual({
    kind: 'ok',
    inputs: {
      source: 'print(sum(map(int, input().split())))',
      files: [],
      tests: [
        { name: '1', stdin: '1 2\n', expectedStdout: '3\n' },
        { name: '2', stdin: '5 6\n', expectedStdout: '11\n' },
        { name: '3', stdin: '7 8\n'.repeat(1000), expectedStdout: undefined },
      ],
    },
  });
});

test('a run without tests is one test named main with the stdin and no expected output', () => {
  const spec: CodeRunSpec = { runtime: 'python3', source: { inline: 'print(input())' }, stdin: 'hi\n', files: [{ path: 'data.txt', content: 'x' }] };
  expect(resolveInputs(spec, objects({}))).toEqual({
    kind: 'ok',
    inputs: { source: 'print(input())', files: [{ path: 'data.txt', content: 'x' }], tests: [{ name: SINGLE_RUN_TEST_NAME, stdin: 'hi\n', expectedStdout: undefined }] },
  });
});

test('no stdin and no tests: one test with empty stdin', () => {
  const result = resolveInputs({ runtime: 'python3', source: { inline: 'print(1)' } }, objects({}));
  expect(result.kind === 'ok' && result.inputs.tests).toEqual([{ name: 'main', stdin: '', expectedStdout: undefined }]);
});

describe('resolveInputs: missing and unusable data', () => {
  test.each<[string, ReferencedObjects, string, string]>([
    ['a missing Secret', objects({ big: { data: { in: '', out: '' } }, packed: { binaryData: { 'in.gz': b64(gzipSync('')) } } }), 'missing', 'spec.source.secretKeyRef: Secret solution does not exist'],
    [
      'a missing key',
      objects({ big: { data: { in: '' } }, packed: { binaryData: { 'in.gz': b64(gzipSync('')) } } }, { solution: { data: { 'main.py': b64('') } } }),
      'missing',
      'spec.tests[1].expectedStdoutFrom.configMapKeyRef: key "out" in ConfigMap big does not exist',
    ],
    [
      'gzip: true on data that is not gzip',
      objects({ big: { data: { in: '', out: '' } }, packed: { data: { 'in.gz': 'plain' } } }, { solution: { data: { 'main.py': b64('') } } }),
      'invalid',
      'spec.tests[2].stdinFrom.configMapKeyRef: ConfigMap packed key "in.gz" is not gzip data',
    ],
    [
      'binary data that is not UTF-8',
      objects({ big: { binaryData: { in: b64(Buffer.from([0xff, 0xfe])), out: '' } }, packed: { binaryData: { 'in.gz': b64(gzipSync('')) } } }, { solution: { data: { 'main.py': b64('') } } }),
      'invalid',
      'ConfigMap big key "in" is not UTF-8 text',
    ],
  ])('%s', (_name, found, kind, message) => {
    const result = resolveInputs(withRefs, found);
    expect(result.kind).toBe(kind);
    expect(result.kind !== 'ok' && result.message).toContain(message);
  });

  test('missing lists every missing reference', () => {
    const result = resolveInputs(withRefs, objects({}));
    expect(result.kind === 'missing' && result.references.map((r) => r.name)).toEqual(['solution', 'big', 'big', 'packed']);
  });
});
