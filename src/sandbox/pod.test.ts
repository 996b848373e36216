import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { resolveLimits } from './limits.js';
import {
  DEFAULT_SANDBOX_CONFIG,
  buildSandboxPod,
  buildSandboxPodSpec,
  coldRunDeadlineSeconds,
  maxResultBytes,
  runnerRunCommand,
  sandboxResources,
  type ColdPodInput,
  type SandboxConfig,
} from './pod.js';
import { sandboxUid } from './names.js';
import { CPP, PYTHON3 } from './test-fixtures.js';

const run = { namespace: 'judge', name: 'sum', uid: '6f1c2a9e-6b53-4a8e-9d1e-2b7f3c4d5e6f' };
const python: ColdPodInput = { run, runtimeName: 'python3', runtime: PYTHON3, limits: resolveLimits(undefined, PYTHON3), testCount: 3, attempt: 1, uidsInUse: new Set() };
const cpp: ColdPodInput = { ...python, runtimeName: 'cpp', runtime: CPP, limits: resolveLimits(undefined, CPP) };
const config: SandboxConfig = { ...DEFAULT_SANDBOX_CONFIG, runnerImage: 'coderun/runner:test' };

function containers(pod: V1Pod): V1Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

describe('buildSandboxPod: every sandbox layer', () => {
  const pod = buildSandboxPod(python, config);
  const spec = pod.spec!;

  test('a one-shot pod in the sandbox namespace with a deterministic name and ownership labels', () => {
    expect(pod.metadata).toMatchObject({
      name: `sum-${run.uid}`,
      namespace: 'coderun-sandbox',
      labels: { 'coderun.dev/run-namespace': 'judge', 'coderun.dev/run-name': 'sum', 'coderun.dev/run-uid': run.uid, 'coderun.dev/runtime': 'python3' },
      annotations: { 'coderun.dev/run-name': 'judge/sum' },
    });
    expect(spec.restartPolicy).toBe('Never');
  });

  test('no service account token, no service links, no DNS', () => {
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.dnsPolicy).toBe('None');
    expect(spec.dnsConfig?.nameservers).toEqual(['127.0.0.1']);
    expect(spec.hostNetwork).toBeUndefined();
  });

  test('a non-root uid per run, the same for every container', () => {
    const uid = sandboxUid(run.uid, config.uidRange);
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of containers(pod)) {
      expect(c.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    const other = buildSandboxPod({ ...python, run: { ...run, uid: 'another-run' } }, config);
    expect(other.spec?.securityContext?.runAsUser).not.toBe(uid);
    // A uid another live sandbox pod has (an earlier attempt's pod still going) is never taken.
    expect(buildSandboxPod({ ...python, uidsInUse: new Set([uid]) }, config).spec?.securityContext?.runAsUser).not.toBe(uid);
  });

  test('the init container installs the runner into the shared volume', () => {
    const [init] = spec.initContainers ?? [];
    expect(init).toMatchObject({ image: 'coderun/runner:test', command: ['/runner', 'install', '/coderun/bin'], volumeMounts: [{ name: 'coderun-bin', mountPath: '/coderun/bin' }] });
    // No small CPU limit on the init container: it gets the main container's resources.
    expect(init?.resources).toEqual(spec.containers[0]?.resources);
  });

  test('the main container waits in the runner for the exec that brings the job: no volume holds any input', () => {
    const [main] = spec.containers;
    expect(main).toMatchObject({ name: 'sandbox', image: 'python:3.12-slim', command: ['/coderun/bin/runner', 'idle'], workingDir: '/work' });
    expect(main?.volumeMounts).toEqual([
      { name: 'coderun-bin', mountPath: '/coderun/bin', readOnly: true },
      { name: 'work', mountPath: '/work' },
      { name: 'judge', mountPath: '/coderun/judge' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(spec.volumes?.map((v) => v.name)).toEqual(['coderun-bin', 'work', 'judge', 'tmp']);
    expect(spec.volumes?.some((v) => v.configMap !== undefined || v.secret !== undefined)).toBe(false);
  });

  test('the termination message is a plain file the operator never reads (the program could write it)', () => {
    for (const c of containers(pod)) expect(c.terminationMessagePolicy).toBe('File');
  });

  test('the tmpfs sizes follow the run memory limit: what the program stores there is memory it is charged for', () => {
    expect(spec.volumes).toContainEqual({ name: 'work', emptyDir: { medium: 'Memory', sizeLimit: `${64 + 256}Mi` } });
    expect(spec.volumes).toContainEqual({ name: 'judge', emptyDir: { medium: 'Memory', sizeLimit: `${64 + 256}Mi` } });
    expect(spec.volumes).toContainEqual({ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } });
  });

  test('memory covers the program (tmpfs included), the job files and the runner; requested as much as limited', () => {
    // 256 MiB default + 64 work dir files + 64 runner
    expect(spec.containers[0]?.resources).toEqual({
      requests: { cpu: '100m', memory: '384Mi', 'ephemeral-storage': '32Mi' },
      limits: { cpu: '1', memory: '384Mi', 'ephemeral-storage': '32Mi' },
    });
  });

  test('activeDeadlineSeconds: every test at its wall limit plus the margin', () => {
    expect(spec.activeDeadlineSeconds).toBe(3 * 5 + 120);
  });

  test('no runtimeClassName or hostUsers unless asked for', () => {
    expect(spec).not.toHaveProperty('runtimeClassName');
    expect(spec).not.toHaveProperty('hostUsers');
  });
});

describe('buildSandboxPod: per-runtime and per-cluster options', () => {
  test('a compiled runtime: memory and deadline cover the compile step, its runtimeClassName is used', () => {
    const spec = buildSandboxPod(cpp, config).spec!;
    expect(spec.runtimeClassName).toBe('gvisor');
    // compile runs at the Runtime max: 1024 MiB, 20 s wall
    expect(spec.containers[0]?.resources?.limits?.memory).toBe(`${1024 + 128}Mi`);
    expect(spec.activeDeadlineSeconds).toBe(20 + 3 * 5 + 120);
  });

  test('user namespaces: hostUsers false and a uid a pod can have', () => {
    const spec = buildSandboxPod(python, { ...config, userNamespaces: true }).spec!;
    expect(spec.hostUsers).toBe(false);
    expect(spec.securityContext?.runAsUser).toBeLessThan(65536);
  });

  test('scheduling options are passed through', () => {
    const spec = buildSandboxPod(python, {
      ...config,
      priorityClassName: 'judge',
      nodeSelector: { pool: 'sandbox' },
      tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }],
    }).spec!;
    expect(spec).toMatchObject({ priorityClassName: 'judge', nodeSelector: { pool: 'sandbox' }, tolerations: [{ key: 'sandbox' }] });
  });

  test('a later attempt gets its own pod name', () => {
    const pod = buildSandboxPod({ ...python, attempt: 2 }, config);
    expect(pod.metadata?.name).toBe(`sum-${run.uid}-2`);
    expect(pod.metadata?.labels?.['coderun.dev/attempt']).toBe('2');
  });
});

test('idle mode (warm pool pod): same layers, runner idle, no deadline, restart Always', () => {
  const cold = buildSandboxPod(python, config).spec!;
  const idle = buildSandboxPodSpec({ image: 'python:3.12-slim', uid: 12345, resources: cold.containers[0]!.resources!, mode: { kind: 'idle' } }, config);
  expect(idle.containers[0]?.command).toEqual(['/coderun/bin/runner', 'idle']);
  expect(idle.restartPolicy).toBe('Always');
  expect(idle).not.toHaveProperty('activeDeadlineSeconds');
  expect(idle.volumes?.map((v) => v.name)).toEqual(['coderun-bin', 'work', 'judge', 'tmp']);
  expect(idle.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
  expect(idle.automountServiceAccountToken).toBe(false);
  expect(idle.dnsPolicy).toBe('None');
  expect(runnerRunCommand()).toEqual(['/coderun/bin/runner', 'run', '--workdir', '/work', '--judge-dir', '/coderun/judge', '--pristine']);
});

describe('resources and deadline', () => {
  test.each([
    [1, 65536, 64 * 1024 + 1024 + Math.ceil((2 * 65536 * 4) / 3)],
    [100, 65536, 64 * 1024 + 100 * 1024 + Math.ceil((200 * 65536 * 4) / 3)],
  ])('%d tests of %d output bytes: the result may take %d bytes (every output base64, plus the document)', (tests, outputBytes, bytes) => {
    const limits = { run: { ...PYTHON3.limits.default, outputBytes }, compile: undefined };
    expect(maxResultBytes(limits, tests)).toBe(bytes);
  });

  test('the pod memory is the run memory, the job files and the runner', () => {
    expect(sandboxResources(100, config).limits?.memory).toBe(`${100 + 64 + 64}Mi`);
  });

  test('the deadline rounds up to whole seconds', () => {
    const limits = { run: { ...PYTHON3.limits.default, wallTimeMillis: 1500 }, compile: undefined };
    expect(coldRunDeadlineSeconds(limits, 3, { ...config, deadlineMarginSeconds: 10 })).toBe(5 + 10);
  });
});
