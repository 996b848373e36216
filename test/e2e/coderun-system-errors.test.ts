import { CustomObjectsApi } from '@kubernetes/client-node';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator } from '../support/installed-operator.js';

// When the sandbox itself cannot work, the run ends in SystemError (never blamed on the program)
// with a message naming the cause, within a bounded time: an image that is not there, a pod that
// no node can take, a Runtime whose command the runner cannot start.

const POD_START_TIMEOUT_SECONDS = 15;
const limits = (memoryMiB: number) => ({ cpuTimeMillis: 2000, wallTimeMillis: 5000, memoryMiB, outputBytes: 65536, processes: 8, fileSizeBytes: 1048576 });
const runtimes = {
  'e2e-missing-image': { image: 'coderun.local/no-such-image:1', sourceFile: 'main.py', run: { command: ['python3', 'main.py'] }, limits: { default: limits(128), max: limits(128) } },
  // Memory requests equal limits: 60 GiB fits on no node of the local cluster (24 GiB).
  'e2e-unschedulable': { image: 'coderun.local/python3:dev', sourceFile: 'main.py', run: { command: ['python3', 'main.py'] }, limits: { default: limits(61_440), max: limits(61_440) } },
  'e2e-no-command': { image: 'coderun.local/python3:dev', sourceFile: 'main.py', run: { command: ['/usr/bin/no-such-interpreter', 'main.py'] }, limits: { default: limits(128), max: limits(128) } },
};

describe('sandbox failures end in SystemError, naming the cause', () => {
  const kc = testKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ns = new CodeRunTestNamespace(kc, 'e2e-system-errors');
  let operator: InstalledOperator | undefined;
  let results = new Map<string, ObservedCodeRun>();
  const elapsedSeconds = new Map<string, number>();

  beforeAll(async () => {
    operator = await InstalledOperator.start(kc, { label: 'system-errors', env: { CODERUN_POD_START_TIMEOUT_SECONDS: String(POD_START_TIMEOUT_SECONDS) } });
    for (const [name, spec] of Object.entries(runtimes)) {
      await custom.deleteClusterCustomObject({ group: 'coderun.dev', version: 'v1alpha1', plural: 'runtimes', name }).catch(() => undefined);
      await custom.createClusterCustomObject({ group: 'coderun.dev', version: 'v1alpha1', plural: 'runtimes', body: { apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', metadata: { name }, spec } });
    }
    await ns.create();
    const started = Date.now();
    await Promise.all(Object.keys(runtimes).map((runtime) => ns.submit(runtime, { runtime, source: { inline: 'print(1)\n' } })));
    results = await ns.waitForTerminal(Object.keys(runtimes), 120_000, (runs) => {
      for (const run of runs) if (run.status.phase === 'Failed' && !elapsedSeconds.has(run.name)) elapsedSeconds.set(run.name, (Date.now() - started) / 1000);
      operator?.assertRunning();
    });
  }, 240_000);

  afterAll(async () => {
    await tearDown(ns, operator);
    for (const name of Object.keys(runtimes)) {
      await custom.deleteClusterCustomObject({ group: 'coderun.dev', version: 'v1alpha1', plural: 'runtimes', name }).catch(() => undefined);
    }
  }, 90_000);

  function expectSystemError(name: string, cause: RegExp): ObservedCodeRun {
    const run = terminalRun(results, name);
    expect(run.status).toMatchObject({ phase: 'Failed', verdict: 'SystemError' });
    expect(run.status.message).toMatch(cause);
    expect(run.status.tests ?? []).toEqual([]);
    return run;
  }

  it('an image that is not on the node: SystemError at once, naming the image', () => {
    expectSystemError('e2e-missing-image', /ErrImageNeverPull.*no-such-image/);
    expect(elapsedSeconds.get('e2e-missing-image')).toBeLessThan(POD_START_TIMEOUT_SECONDS);
  });

  it('a pod no node can take: SystemError after the pod start timeout, with the scheduler\'s reason', () => {
    expectSystemError('e2e-unschedulable', /cannot be scheduled: .*Insufficient memory/);
    // The operator counts from the pod's creationTimestamp, which has a resolution of 1 s.
    expect(elapsedSeconds.get('e2e-unschedulable')).toBeGreaterThanOrEqual(POD_START_TIMEOUT_SECONDS - 1);
    expect(elapsedSeconds.get('e2e-unschedulable')).toBeLessThan(POD_START_TIMEOUT_SECONDS + 30);
  });

  it('a run command the runner cannot start: SystemError with the runner\'s message', () => {
    expectSystemError('e2e-no-command', /the runner failed: .*no-such-interpreter/);
  });

  it('nothing of the failed runs is left in the sandbox namespace', async () => {
    await ns.expectNoSandboxObjectsLeft();
  });
});
