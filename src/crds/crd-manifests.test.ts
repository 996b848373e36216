import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { CATEGORY, CODERUN_CRD_INPUT, RUNTIME_CRD_INPUT, renderCrdFiles } from './crd-manifests.js';
import type { JsonSchema } from './openapi-schema.js';

const dir = resolve(import.meta.dirname, '../../deploy/crds');
const files = renderCrdFiles();

test.each(Object.keys(files))('deploy/crds/%s is what `npm run gen:crds` generates from the zod schemas', (file) => {
  const onDisk = readFileSync(resolve(dir, file), 'utf8');
  // On a mismatch: run `npm run gen:crds` and commit deploy/crds.
  expect(onDisk).toBe(files[file]);
});

type Node = { [key: string]: unknown };
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every schema node with its path. */
function walk(node: Node, path: string, out: [string, Node][] = []): [string, Node][] {
  out.push([path, node]);
  const properties = node.properties;
  if (isNode(properties)) for (const [k, v] of Object.entries(properties)) if (isNode(v)) walk(v, `${path}.${k}`, out);
  if (isNode(node.items)) walk(node.items, `${path}[]`, out);
  if (isNode(node.additionalProperties)) walk(node.additionalProperties, `${path}{}`, out);
  return out;
}

function crd(file: string) {
  const doc = parse(files[file]!) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema }; additionalPrinterColumns: { name: string; jsonPath: string }[]; subresources: unknown }[]; names: Node; scope: string } };
  const version = doc.spec.versions[0]!;
  return { doc, version, schema: version.schema.openAPIV3Schema as Node };
}

describe.each(Object.keys(files))('%s', (file) => {
  const { version, schema } = crd(file);

  test('is a structural schema: a type on every node, no additionalProperties beside properties, no unions', () => {
    for (const [path, node] of walk(schema, '')) {
      expect([path, node.type]).toEqual([path, expect.any(String)]);
      if ('properties' in node) expect([path, 'additionalProperties' in node]).toEqual([path, false]);
      for (const key of ['anyOf', 'oneOf', 'allOf', '$schema', '$ref']) expect([path, key in node]).toEqual([path, false]);
    }
  });

  test('has the status subresource', () => {
    expect(version.subresources).toEqual({ status: {} });
  });
});

test('CodeRun: printer columns, short names, namespaced, an immutable spec', () => {
  const { doc, version, schema } = crd('coderun.dev_coderuns.yaml');
  expect(version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
    ['Runtime', '.spec.runtime'],
    ['Phase', '.status.phase'],
    ['Verdict', '.status.verdict'],
    ['Score', '.status.score'],
    ['Time-ms', '.status.cpuTimeMillis'],
    ['Memory-KiB', '.status.memoryKiB'],
    ['Max-Score', '.status.maxScore'],
    ['Wall-ms', '.status.wallTimeMillis'],
    ['Path', '.status.path'],
    ['Pod', '.status.podName'],
    ['Age', '.metadata.creationTimestamp'],
  ]);
  expect(doc.spec.names).toMatchObject({ kind: 'CodeRun', plural: 'coderuns', shortNames: ['cr', 'crun'] });
  expect(doc.spec.scope).toBe('Namespaced');
  const spec = (schema.properties as Node).spec as Node;
  expect(spec['x-kubernetes-validations']).toContainEqual({ rule: 'self == oldSelf', message: expect.stringContaining('immutable') });
  expect(spec['x-kubernetes-validations']).toContainEqual({ rule: '!(has(self.stdin) && has(self.tests))', message: expect.any(String) });
  const source = (spec.properties as Node).source as Node;
  expect(source['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: expect.stringContaining('exists_one') })]);
  expect(spec.required).toEqual(['runtime', 'source']);
});

test('Runtime: cluster-scoped, image and pool columns, default within max by CEL', () => {
  const { doc, version, schema } = crd('coderun.dev_runtimes.yaml');
  expect(doc.spec.scope).toBe('Cluster');
  expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual(['Image', 'Ready', 'Reason', 'Pool-Ready', 'Pool-Desired', 'Pool-Idle', 'Age']);
  const spec = (schema.properties as Node).spec as Node;
  const limits = (spec.properties as Node).limits as Node;
  expect(limits['x-kubernetes-validations']).toContainEqual({ rule: 'self.default.memoryMiB <= self.max.memoryMiB', message: expect.any(String) });
  expect(Object.keys((spec.properties as Node).warmPool as Node)).toContain('properties');
});

test('the category collides with no resource name, so `kubectl delete coderun --all` deletes only CodeRuns', () => {
  const names = [CODERUN_CRD_INPUT, RUNTIME_CRD_INPUT].flatMap((c) => [c.kind.toLowerCase(), c.plural, c.singular, ...c.shortNames]);
  expect(names).not.toContain(CATEGORY);
});
