// The judge-backend client against a real kube-apiserver. No operator runs in this tier: where a
// test needs a finished run, it writes the terminal status through the status subresource, as the
// operator does, and checks what the client makes of it.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CodeRunClient, CodeRunTimeoutError } from '../../src/client/coderun-client.js';
import type { CodeRunSpec, CodeRunStatus } from '../../src/crds/coderun.js';
import { installCodeRunResources } from '../support/installed-operator.js';
import { testKubeConfig } from '../support/kube-config.js';

const kubeConfig = testKubeConfig();
const namespace = `client-${Date.now().toString(36)}`;
const client = new CodeRunClient(kubeConfig);
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const core = kubeConfig.makeApiClient(CoreV1Api);

const spec: CodeRunSpec = { runtime: 'python3', source: { inline: 'print(1)' }, tests: [{ name: '1', stdin: '', expectedStdout: '1\n' }] };
const accepted: CodeRunStatus = { phase: 'Completed', verdict: 'Accepted', message: 'all tests passed', attempts: 1, finishedAt: new Date().toISOString() };

async function finish(name: string, status: CodeRunStatus): Promise<void> {
  await custom.patchNamespacedCustomObjectStatus(
    { group: 'coderun.dev', version: 'v1alpha1', namespace, plural: 'coderuns', name, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

beforeAll(async () => {
  await installCodeRunResources(kubeConfig);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

test('a spec the operator would refuse is rejected before anything is created, naming the field', async () => {
  const bad = { ...spec, stdin: 'x' };
  await expect(client.submit(namespace, bad)).rejects.toThrow(/spec.*stdin|tests/);
  const list = (await custom.listNamespacedCustomObject({ group: 'coderun.dev', version: 'v1alpha1', namespace, plural: 'coderuns' })) as { items: unknown[] };
  expect(list.items).toHaveLength(0);
});

test('submit creates a CodeRun with a generated name, and waitForResult resolves when it finishes', async () => {
  const { name, uid } = await client.submit(namespace, spec, { generateName: 'sum-', labels: { submission: '42' } });
  expect(name).toMatch(/^sum-/);
  expect(uid).not.toBe('');
  const waiting = client.waitForResult(namespace, name, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  await finish(name, accepted);
  const result = await waiting;
  expect(result.status.phase).toBe('Completed');
  expect(result.status.verdict).toBe('Accepted');
});

test('a run that finished before waiting began is returned at once', async () => {
  const { name } = await client.submit(namespace, spec);
  await finish(name, { phase: 'Failed', message: 'spec.runtime: there is no Runtime named "python3"' });
  const result = await client.waitForResult(namespace, name, 5_000);
  expect(result.status).toMatchObject({ phase: 'Failed', message: expect.stringContaining('no Runtime') });
});

test('a run that does not finish in time gives a timeout error that names it', async () => {
  // Its input does not exist yet: an operator, if one runs, waits out a grace period of seconds.
  const waitsForInput: CodeRunSpec = { ...spec, tests: [{ name: '1', stdinFrom: { configMapKeyRef: { name: 'not-yet', key: 'in' } } }] };
  const { name } = await client.submit(namespace, waitsForInput);
  await expect(client.waitForResult(namespace, name, 1_000)).rejects.toThrow(CodeRunTimeoutError);
  await expect(client.waitForResult(namespace, name, 1_000)).rejects.toThrow(name);
});

describe('checkers, interactors and scores through the API server', () => {
  const checker = { runtime: 'python3', source: { inline: 'import sys\nsys.exit(0)\n' } };

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['a checker with a compare mode', { ...spec, checker, compare: { mode: 'tokens' } }, /the checker judges the output; remove compare/],
    ['a checker without tests', { runtime: 'python3', source: spec.source, checker }, /a checker judges tests; add tests or remove the checker/],
    ['a checker and an interactor', { ...spec, checker, interactor: checker }, /an interactor gives the verdict itself; remove the checker/],
    ['an interactor without tests', { runtime: 'python3', source: spec.source, interactor: checker }, /an interactor judges tests/],
    [
      'subtasks with stopOnFirstFailure',
      { ...spec, stopOnFirstFailure: true, subtasks: [{ name: 's', points: 10, tests: ['1'] }] },
      /subtasks already stop at the first failure inside each subtask; remove stopOnFirstFailure/,
    ],
  ])('the API server refuses %s, saying what to change (kubectl apply meets the same rule)', async (_name, body, message) => {
    const create = custom.createNamespacedCustomObject({
      group: 'coderun.dev', version: 'v1alpha1', namespace, plural: 'coderuns',
      body: { apiVersion: 'coderun.dev/v1alpha1', kind: 'CodeRun', metadata: { generateName: 'refused-' }, spec: body },
    });
    await expect(create).rejects.toThrow(message);
  });

  test('the client refuses an interactor with a compare mode before anything is created', async () => {
    await expect(client.submit(namespace, { ...spec, interactor: checker, compare: { mode: 'tokens' } })).rejects.toThrow(/the interactor judges the run; remove compare/);
  });

  test('the client refuses a subtask naming an unknown test before anything is created', async () => {
    await expect(client.submit(namespace, { ...spec, subtasks: [{ name: 's', points: 10, tests: ['1', '2'] }] })).rejects.toThrow(/there is no test named "2"/);
  });

  test("a finished run's score and subtasks come back typed, as the API server stored them", async () => {
    const { name } = await client.submit(namespace, { ...spec, checker, subtasks: [{ name: 's', points: 12.5, tests: ['1'] }] });
    const scored: CodeRunStatus = {
      ...accepted,
      score: 12.5,
      maxScore: 12.5,
      subtasks: [{ name: 's', verdict: 'Accepted', score: 12.5, maxScore: 12.5, message: 'all 1 tests passed' }],
      tests: [{ name: '1', verdict: 'Accepted', message: 'ok permutation' }],
    };
    await finish(name, scored);
    const result = await client.waitForResult(namespace, name, 5_000);
    expect(result.status).toMatchObject({ score: 12.5, maxScore: 12.5, subtasks: scored.subtasks, tests: scored.tests });
  });
});
