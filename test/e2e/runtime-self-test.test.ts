import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown } from '../support/coderun-e2e.js';
import { eventually } from '../support/eventually.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { Condition } from '../../src/crds/common.js';
import { PoolRuntime } from './warm-support.js';
import { LANGUAGES } from './language-programs.js';

// The Runtime self-test as an administrator sees it: every standard Runtime becomes Ready by
// passing its own test, `kubectl get runtimes` shows it, and a broken Runtime is found by its
// self-test (with the reason and the output) before any submission is blamed: a run for it
// waits a bounded time and ends in SystemError naming the Runtime's condition.

const ROOT = join(import.meta.dirname, '../..');
const suffix = Math.random().toString(16).slice(2, 8);
const READY_WAIT_SECONDS = 20;

const kc = testKubeConfig();
const ns = new CodeRunTestNamespace(kc, 'e2e-self-test');
let operator: InstalledOperator | undefined;
const noImage = new PoolRuntime(kc, `e2e-no-image-${suffix}`);
const badCompiler = new PoolRuntime(kc, `e2e-bad-compiler-${suffix}`);
const changed = new PoolRuntime(kc, `e2e-changed-${suffix}`);

async function settledReady(runtime: PoolRuntime, timeoutMs: number): Promise<Condition> {
  let ready: Condition | undefined;
  await eventually(`Runtime ${runtime.name} to finish the self-test of its current generation`, async () => {
    ready = await runtime.currentReady();
    return ready !== undefined && ready.status !== 'Unknown';
  }, timeoutMs, { intervalMs: 500 });
  if (ready === undefined) throw new Error('unreachable');
  return ready;
}

beforeAll(async () => {
  await ensureInstalled(kc);
  operator = await InstalledOperator.start(kc, { label: 'self-test', env: { CODERUN_RUNTIME_READY_WAIT_SECONDS: String(READY_WAIT_SECONDS) } });
  await ns.create();
  await noImage.createFrom('python3', undefined);
  await noImage.patchSpec({ image: 'coderun.local/no-such-image:dev' });
  await badCompiler.createFrom('c', undefined);
  await badCompiler.patchSpec({ compile: { command: ['gcc', '-O2', '-o', 'main', 'main.c', '-lno-such-library'] } });
}, 240_000);

afterAll(async () => {
  try {
    await tearDown(ns, operator);
  } finally {
    await Promise.all([noImage.delete(), badCompiler.delete(), changed.delete()]);
  }
}, 120_000);

test.each(LANGUAGES)('the standard Runtime %s passes its self-test and is Ready', async (language) => {
  const ready = await settledReady(new PoolRuntime(kc, language), 240_000);
  expect(ready).toMatchObject({ status: 'True', reason: 'SelfTestPassed' });
  expect(ready.message).toMatch(/was Accepted \(CPU \d+ ms, wall \d+ ms\)/);
}, 250_000);

test('kubectl get runtimes shows Ready and its reason', () => {
  const out = execFileSync(join(ROOT, '.cluster/bin/kubectl'), ['--kubeconfig', join(ROOT, '.cluster/kubeconfig'), 'get', 'runtimes', 'java', 'c'], { encoding: 'utf8' });
  const [header, ...rows] = out.trim().split('\n');
  expect(header?.split(/\s+/)).toEqual(['NAME', 'IMAGE', 'READY', 'REASON', 'POOL-READY', 'POOL-DESIRED', 'AGE']);
  for (const row of rows) expect(row).toMatch(/^(java|c)\s+coderun\.local\/\S+\s+True\s+SelfTestPassed\s/);
});

test('a Runtime whose image does not exist is not Ready (ImageNotFound), and its runs end in SystemError naming that', async () => {
  const ready = await settledReady(noImage, 180_000);
  expect(ready).toMatchObject({ status: 'False', reason: 'ImageNotFound' });
  expect(ready.message).toMatch(/no-such-image/);
  await ns.submit('on-no-image', { runtime: noImage.name, source: { inline: 'print(42)\n' } });
  const run = await ns.waitForOne('on-no-image', (READY_WAIT_SECONDS + 30) * 1000);
  expect(run.status).toMatchObject({ phase: 'Failed', verdict: 'SystemError' });
  expect(run.status.message).toContain(`Runtime ${noImage.name} is not Ready (ImageNotFound)`);
  expect(run.status.message).toContain(`gave up waiting after ${READY_WAIT_SECONDS} s`);
  expect(run.status.podName).toBeUndefined();
}, 240_000);

test("a Runtime whose compile command fails is not Ready (SelfTestFailed), with the compiler's output", async () => {
  const ready = await settledReady(badCompiler, 180_000);
  expect(ready).toMatchObject({ status: 'False', reason: 'SelfTestFailed' });
  expect(ready.message).toMatch(/got CompilationError/);
  expect(ready.message).toMatch(/compiler output:[\s\S]*no-such-library/);
}, 200_000);

test('a change of the image or commands runs the self-test again; runs wait for it and then start', async () => {
  await changed.createFrom('python3', undefined);
  const first = await settledReady(changed, 180_000);
  expect(first).toMatchObject({ status: 'True', reason: 'SelfTestPassed', observedGeneration: 1 });
  await changed.patchSpec({ run: { command: ['python3', '-B', '-X', 'utf8', 'main.py'] } });
  // Submitted at once: the run waits for the new self-test instead of running on an untested Runtime.
  await ns.submit('after-change', { runtime: changed.name, source: { inline: 'print(40 + 2)\n' }, tests: [{ name: '1', stdin: '', expectedStdout: '42\n' }] });
  const second = await settledReady(changed, 180_000);
  expect(second).toMatchObject({ status: 'True', reason: 'SelfTestPassed', observedGeneration: 2 });
  const run = await ns.waitForOne('after-change', 120_000);
  expect(run.status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
  expect(new Date(run.status.startedAt ?? 0).getTime()).toBeGreaterThanOrEqual(new Date(second.lastTransitionTime).getTime() - 1000);
}, 400_000);
