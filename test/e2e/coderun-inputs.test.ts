import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator } from '../support/installed-operator.js';

// Inputs a judge backend sends: a 5 MiB test input through a ConfigMap reference (gzip-compressed
// binaryData: a ConfigMap holds at most 1 MiB), and bad input, which must end the run at once
// with a message that says what to change, and never be retried.

const FIVE_MIB = 5 * 1024 * 1024;
/** The operator's default grace for a referenced ConfigMap that does not exist (yet). */
const REFERENCE_GRACE_SECONDS = 10;

/** 5 MiB of words from a small vocabulary: a real input size that gzip brings under 1 MiB. */
function bigInput(): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta'];
  let seed = 12345;
  const lines: string[] = [];
  let size = 0;
  while (size < FIVE_MIB) {
    const line: string[] = [];
    for (let i = 0; i < 8; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      line.push(words[seed % words.length] ?? 'alpha');
    }
    const text = `${line.join(' ')}\n`;
    lines.push(text);
    size += text.length;
  }
  return Buffer.from(lines.join('')).subarray(0, FIVE_MIB);
}

const CHECKSUM_PROGRAM = [
  'import hashlib, sys',
  'data = sys.stdin.buffer.read()',
  'print(len(data), data.count(b"\\n"), hashlib.sha256(data).hexdigest())',
  '',
].join('\n');

describe('CodeRun inputs on the local cluster', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-inputs');
  let operator: InstalledOperator | undefined;
  const input = bigInput();
  const expected = `${input.length} ${input.filter((b) => b === 0x0a).length} ${createHash('sha256').update(input).digest('hex')}\n`;
  let results = new Map<string, ObservedCodeRun>();
  const settled = new Map<string, ObservedCodeRun>();
  const later = new Map<string, ObservedCodeRun>();

  const badRuns = {
    'unknown-runtime': { runtime: 'no-such-runtime', source: { inline: 'print(1)\n' } },
    'limits-above-max': { runtime: 'python3', source: { inline: 'print(1)\n' }, limits: { memoryMiB: 4096, wallTimeMillis: 2000 } },
    'missing-configmap': {
      runtime: 'python3',
      source: { inline: 'print(input())\n' },
      tests: [{ name: '1', stdinFrom: { configMapKeyRef: { name: 'never-created', key: 'in' } } }],
    },
  };

  beforeAll(async () => {
    // Without the admission webhook, which would refuse the invalid runs at creation (see
    // helm-install.test.ts): whoever may edit webhooks can bypass it, and the reconciler must
    // still give such a stored run its exact status.
    operator = await InstalledOperator.start(kc, { label: 'inputs', sets: ['--set', 'webhook.enabled=false'] });
    await ns.create();
    const gz = gzipSync(input, { level: 9 });
    expect(gz.length).toBeLessThan(1024 * 1024);
    await ns.core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'big-test' }, binaryData: { 'in.gz': gz.toString('base64') }, data: { out: expected } },
    });
    await Promise.all([
      ns.submit('big-stdin', {
        runtime: 'python3',
        source: { inline: CHECKSUM_PROGRAM },
        tests: [
          {
            name: 'five-mib',
            stdinFrom: { configMapKeyRef: { name: 'big-test', key: 'in.gz' }, gzip: true },
            expectedStdoutFrom: { configMapKeyRef: { name: 'big-test', key: 'out' } },
          },
        ],
        limits: { wallTimeMillis: 10000 },
      }),
      ...Object.entries(badRuns).map(([name, spec]) => ns.submit(name, spec)),
    ]);
    results = await ns.waitForTerminal(['big-stdin', ...Object.keys(badRuns)], 120_000, () => operator?.assertRunning());
    // No retry loop: once its finalizer is off, a rejected run must not change any more.
    for (const run of await Promise.all(Object.keys(badRuns).map((name) => ns.waitForRun(name, 'the finalizer removed', (r) => r.finalizers.length === 0, 15_000)))) {
      settled.set(run.name, run);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    for (const run of await ns.list()) later.set(run.name, run);
  }, 360_000);

  afterAll(async () => {
    await tearDown(ns, operator);
  }, 90_000);

  const result = (name: string): ObservedCodeRun => terminalRun(results, name);

  it('5 MiB of stdin from a gzip ConfigMap reaches the program whole: Accepted', () => {
    const { status } = result('big-stdin');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
    expect(status.tests?.[0]).toMatchObject({ name: 'five-mib', verdict: 'Accepted', exitCode: 0, stdout: expected });
    expect(expected.startsWith(`${FIVE_MIB} `)).toBe(true);
  });

  /** A bad run: Failed, no verdict, Valid=False with the reason; nothing ran for it. */
  async function expectRejected(name: string, reason: string, message: RegExp): Promise<ObservedCodeRun> {
    const run = result(name);
    expect(run.status.phase).toBe('Failed');
    expect(run.status.verdict).toBeUndefined();
    const valid = run.status.conditions?.find((c) => c.type === 'Valid');
    expect(valid).toMatchObject({ status: 'False', reason });
    expect(valid?.message).toMatch(message);
    expect(run.status.message).toMatch(message);
    expect(run.status.podName).toBeUndefined();
    const reasons = (await ns.eventsOf(name)).map((e) => e.reason);
    expect(reasons).not.toContain('Started');
    const left = await ns.sandboxObjectsOfRun(run.uid);
    expect([...left.pods, ...left.configMaps]).toEqual([]);
    return run;
  }

  /** Not retried: 3 s after its finalizer came off, neither its status nor anything else changed. */
  function expectSettled(name: string): void {
    expect(later.get(name)?.resourceVersion).toBe(settled.get(name)?.resourceVersion);
    expect(later.get(name)?.status).toEqual(settled.get(name)?.status);
  }

  it('an unknown runtime: Failed, Valid=False saying which Runtimes exist, not retried', async () => {
    await expectRejected('unknown-runtime', 'RuntimeNotFound', /there is no Runtime named "no-such-runtime".*kubectl get runtimes/);
    expectSettled('unknown-runtime');
  }, 30_000);

  it("limits above the Runtime's max: Failed, Valid=False naming the limit and the maximum, not retried", async () => {
    await expectRejected('limits-above-max', 'LimitsAboveMaximum', /spec\.limits\.memoryMiB 4096 exceeds the Runtime python3 maximum 1024; lower it to at most 1024/);
    expectSettled('limits-above-max');
  }, 30_000);

  it('a referenced ConfigMap still missing after the grace: Failed, Valid=False naming it, not retried', async () => {
    const run = await expectRejected('missing-configmap', 'ReferenceNotFound', /never-created/);
    // Failed only after the grace (creationTimestamp has whole seconds, hence the second off).
    const waitedMs = Date.parse(run.status.finishedAt ?? '') - Date.parse(run.creationTimestamp);
    expect(waitedMs).toBeGreaterThanOrEqual((REFERENCE_GRACE_SECONDS - 1) * 1000);
    expectSettled('missing-configmap');
  }, 30_000);

  it('the big run cleaned up its sandbox pod and ConfigMap', async () => {
    await ns.expectNoSandboxObjectsLeft();
  }, 30_000);
});
