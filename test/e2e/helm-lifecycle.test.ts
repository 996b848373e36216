// The release `coderun` through its life while judges submit: `helm upgrade` to a new operator
// image during a burst, the leader's pod deleted during a burst, `helm uninstall` with runs in
// flight, and an install again afterwards. Each time every run must reach exactly one terminal
// status (never rewritten), and nothing may stay stuck or behind.
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { CodeRunTestNamespace, isTerminal, SANDBOX_NAMESPACE, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { eventually } from '../support/eventually.js';
import { Helm } from '../support/helm.js';
import { ensureInstalled, InstalledOperator, RELEASE, RELEASE_NAMESPACE, upgradeRelease } from '../support/installed-operator.js';
import { testKubeConfig } from '../support/kube-config.js';
import { UNINSTALLED_MESSAGE } from '../../src/controllers/coderun/uninstall.js';
import type { CodeRunStatus } from '../../src/crds/coderun.js';

const BURST = 16;
const SUM = { runtime: 'python3', tests: [{ name: '1', stdin: '2 3\n', expectedStdout: '5\n' }] };
/** A run that takes a while, so that the burst is still in flight when the release changes. */
const slowSum = (seconds: number) => ({ ...SUM, source: { inline: `import time\ntime.sleep(${seconds})\na, b = map(int, input().split())\nprint(a + b)\n` } });

/** Watches runs and remembers each one's first terminal status: a rewrite shows as a difference. */
class TerminalRecord {
  readonly first = new Map<string, CodeRunStatus>();
  note(runs: ObservedCodeRun[]): void {
    for (const run of runs) if (isTerminal(run.status) && !this.first.has(run.name)) this.first.set(run.name, structuredClone(run.status));
  }
}

describe('the release through upgrade, leader loss, uninstall and install again', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = new CodeRunTestNamespace(kc, 'e2e-lifecycle');
  let operator: InstalledOperator | undefined;

  beforeAll(async () => {
    await ensureInstalled(kc);
    operator = await InstalledOperator.start(kc, { label: 'lifecycle' });
    await ns.create();
  }, 600_000);

  afterAll(async () => {
    await operator?.release();
    await ns.destroy();
    // Whatever happened above, leave the release installed for the next suites.
    await ensureInstalled(kc);
  }, 600_000);

  /** Submits a burst, runs `during` once some runs are in flight, and checks every run ends once, Accepted. */
  async function burstAcross(prefix: string, during: () => Promise<void>): Promise<void> {
    const names = Array.from({ length: BURST }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    const record = new TerminalRecord();
    await Promise.all(names.map((name) => ns.submit(name, slowSum(2))));
    await eventually('some runs of the burst in flight', async () => (await ns.list()).some((r) => r.status.phase === 'Running'), 120_000, { intervalMs: 200 });
    await during();
    const final = await ns.waitForTerminal(names, 300_000, (runs) => {
      operator?.assertRunning();
      record.note(runs);
    });
    // A second terminal write would show up now.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const run of await ns.list()) if (names.includes(run.name)) final.set(run.name, run);
    expect(names.map((n) => [n, final.get(n)?.status.phase, final.get(n)?.status.verdict])).toEqual(names.map((n) => [n, 'Completed', 'Accepted']));
    for (const n of names) expect([n, final.get(n)?.status]).toEqual([n, record.first.get(n)]);
    for (const n of names) {
      const verdicts = (await ns.eventsOf(n)).filter((e) => e.reason === 'Accepted').length;
      expect([n, verdicts <= 1]).toEqual([n, true]);
    }
    await eventually('every finalizer released', async () => (await ns.list()).every((r) => r.finalizers.length === 0), 60_000);
    await ns.expectNoSandboxObjectsLeft(60_000);
  }

  test('helm upgrade to a new operator image while a burst is in flight: every run judged once', async () => {
    // The same build under another tag: a new image for the Deployment, hence a rolling update.
    execFileSync('ctr', ['--address', '/run/containerd/containerd.sock', '--namespace', 'k8s.io', 'images', 'tag', '--force', 'coderun.local/operator:dev', 'coderun.local/operator:upgrade']);
    const before = new Set((await core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: 'app.kubernetes.io/component=operator' })).items.map((p) => p.metadata?.name));
    await burstAcross('upgrade', async () => {
      upgradeRelease(['--set', 'image.tag=upgrade']);
    });
    const after = (await core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: 'app.kubernetes.io/component=operator' })).items;
    expect(after.map((p) => p.spec?.containers[0]?.image)).toEqual(['coderun.local/operator:upgrade', 'coderun.local/operator:upgrade']);
    expect(after.some((p) => before.has(p.metadata?.name))).toBe(false);
  }, 600_000);

  test("the leader's pod deleted during a burst: the other replica takes over, every run judged once", async () => {
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const leader = (await coordination.readNamespacedLease({ namespace: RELEASE_NAMESPACE, name: 'coderun-operator' })).spec?.holderIdentity ?? '';
    expect(leader).toMatch(new RegExp(`^${RELEASE}-operator-`));
    await burstAcross('leader', async () => {
      await core.deleteNamespacedPod({ namespace: RELEASE_NAMESPACE, name: leader });
    });
    const next = (await coordination.readNamespacedLease({ namespace: RELEASE_NAMESPACE, name: 'coderun-operator' })).spec?.holderIdentity ?? '';
    expect(next).not.toBe(leader);
    expect(next).toMatch(new RegExp(`^${RELEASE}-operator-`));
  }, 600_000);

  test('helm uninstall with runs in flight: each ends once as SystemError saying why, no finalizer or sandbox pod stays; an install again judges runs', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `uninstall-${i}`);
    const record = new TerminalRecord();
    await Promise.all(names.map((name) => ns.submit(name, slowSum(30))));
    await eventually('the runs in flight', async () => (await ns.list()).filter((r) => r.status.phase === 'Running').length >= 2, 120_000, { intervalMs: 200 });
    await operator?.release();
    const helm = Helm.build();
    try {
      helm.run(['uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--wait', '--timeout', '3m'], 240_000);
    } catch (err) {
      const hook = await core.listNamespacedPod({ namespace: RELEASE_NAMESPACE, labelSelector: 'app.kubernetes.io/component=uninstall' });
      const logs = await Promise.all(hook.items.map((p) => core.readNamespacedPodLog({ namespace: RELEASE_NAMESPACE, name: p.metadata!.name! }).catch(() => '')));
      throw new Error(`${String(err)}\nthe uninstall hook's pods said:\n${logs.join('\n---\n')}`);
    } finally {
      helm.dispose();
    }
    const runs = await ns.list();
    record.note(runs);
    // Every run terminal, none holding a finalizer: each can be deleted without an operator.
    expect(runs.map((r) => [r.name, isTerminal(r.status), r.finalizers])).toEqual(names.map((n) => [n, true, []]));
    const ended = runs.filter((r) => r.status.verdict === 'SystemError');
    expect(ended.length).toBeGreaterThanOrEqual(2);
    for (const run of ended) expect(run.status.message).toBe(UNINSTALLED_MESSAGE);
    // The sandbox namespace went with the release, and with it every sandbox pod.
    await eventually(`the namespace ${SANDBOX_NAMESPACE} to be gone`, async () => (await core.listNamespace()).items.every((n) => n.metadata?.name !== SANDBOX_NAMESPACE), 120_000, { intervalMs: 1000 });
    // A run deleted now is gone at once: nothing waits on a finalizer.
    await ns.delete(names[0]!);
    expect(await ns.get(names[0]!)).toBeUndefined();

    // Installed again: the terminal runs stay as they were, and a new run is judged.
    await ensureInstalled(kc);
    operator = await InstalledOperator.start(kc, { label: 'lifecycle-reinstalled' });
    const after = await ns.submit('after-reinstall', slowSum(0));
    expect(after.name).toBe('after-reinstall');
    const judged = await ns.waitForOne('after-reinstall', 180_000);
    expect([judged.status.phase, judged.status.verdict]).toEqual(['Completed', 'Accepted']);
    for (const run of await ns.list()) if (record.first.has(run.name)) expect([run.name, run.status]).toEqual([run.name, record.first.get(run.name)]);
  }, 600_000);
});
