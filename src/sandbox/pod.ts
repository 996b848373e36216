import type {
  V1Container,
  V1Pod,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { RuntimeSpec } from '../crds/runtime.js';
import type { ResolvedLimits } from './limits.js';
import {
  HOST_UID_RANGE,
  RUN_NAME_ANNOTATION,
  USERNS_UID_RANGE,
  sandboxLabels,
  allocateUid,
  sandboxPodName,
  type RunRef,
  type UidRange,
} from './names.js';

/** Operator-wide settings of sandbox pods. */
export interface SandboxConfig {
  /** The dedicated sandbox namespace (Pod Security restricted, default-deny NetworkPolicy). */
  namespace: string;
  /** Image holding the static runner at /runner. */
  runnerImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The cluster supports user namespaces: pods get hostUsers: false. */
  userNamespaces: boolean;
  /** Host uids for runs when userNamespaces is false. */
  uidRange: UidRange;
  /** Size of the tmpfs work directory (source, files, compiled program). */
  workdirMiB: number;
  /** Size of the tmpfs /tmp (compilers write temporary files there). */
  tmpMiB: number;
  /** Memory of the runner itself and the runtime's start-up, on top of the program's limit. */
  runnerOverheadMiB: number;
  cpuRequest: string;
  cpuLimit: string;
  /** Ephemeral storage: the container log holds only the runner's diagnostics, never a result. */
  ephemeralStorageMiB: number;
  /** Added to compile + tests' wall time for activeDeadlineSeconds: image pull, start, result. */
  deadlineMarginSeconds: number;
  terminationGracePeriodSeconds: number;
  priorityClassName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
}

export const DEFAULT_SANDBOX_CONFIG: SandboxConfig = {
  namespace: 'coderun-sandbox',
  runnerImage: 'coderun/runner:dev',
  imagePullPolicy: 'IfNotPresent',
  userNamespaces: false,
  uidRange: HOST_UID_RANGE,
  workdirMiB: 64,
  tmpMiB: 64,
  runnerOverheadMiB: 64,
  cpuRequest: '100m',
  cpuLimit: '1',
  ephemeralStorageMiB: 32,
  deadlineMarginSeconds: 120,
  terminationGracePeriodSeconds: 2,
};

/** Where things are inside every sandbox pod. */
export const SANDBOX_PATHS = {
  binDir: '/coderun/bin',
  runner: '/coderun/bin/runner',
  workdir: '/work',
  /**
   * The checker's and the interactor's directories: a top-level directory of its own, which the
   * runner hides from the program during an interactive test (a Landlock domain per side).
   */
  judgeDir: '/coderun/judge',
  tmp: '/tmp',
  /** Where the runner image keeps the binary. */
  runnerInImage: '/runner',
} as const;

export const SANDBOX_CONTAINER = 'sandbox';
export const RUNNER_INIT_CONTAINER = 'install-runner';
const VOLUMES = { bin: 'coderun-bin', work: 'work', judge: 'judge', tmp: 'tmp' } as const;

/**
 * The runner command that runs one job, given on its stdin through an exec. Only the runner
 * holds that pipe: no file in the pod holds any test's input or the job, so a test cannot read
 * another test's input. `--pristine`: before it reads the job, the runner removes what an
 * earlier run in the pod could have left and verifies it, or refuses (a pool pod may serve
 * several runs, warmPool.runsPerPod; in a fresh pod it finds nothing).
 */
export function runnerRunCommand(): string[] {
  return [SANDBOX_PATHS.runner, 'run', '--workdir', SANDBOX_PATHS.workdir, '--judge-dir', SANDBOX_PATHS.judgeDir, '--pristine'];
}

/** The command of every sandbox pod, cold or warm: wait for the exec that brings the job. */
export function runnerIdleCommand(): string[] {
  return [SANDBOX_PATHS.runner, 'idle'];
}

export function sandboxPodSecurityContext(uid: number): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function sandboxContainerSecurityContext(uid: number): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The largest memory limit of a run's steps (the checker's too, the interactor's beside each test): what its sandbox must hold. */
export function runMemoryMiB(limits: ResolvedLimits): number {
  const { checker, interactor } = limits;
  return Math.max(
    limits.run.memoryMiB + (interactor?.run.memoryMiB ?? 0),
    limits.compile?.memoryMiB ?? 0,
    checker?.run.memoryMiB ?? 0,
    checker?.compile?.memoryMiB ?? 0,
    interactor?.compile?.memoryMiB ?? 0,
  );
}

/**
 * The most bytes the runner's result document may take: every output at its limit, base64'd
 * (the runner never lets escaping make it larger), plus the rest of the document. An exec that
 * returns more is cut off as a failure of the sandbox.
 */
export function maxResultBytes(limits: ResolvedLimits, testCount: number): number {
  const judge = limits.checker ?? limits.interactor;
  const perTest = limits.run.outputBytes + (judge?.run.outputBytes ?? 0);
  const outputs = 2 * testCount * perTest + (limits.compile?.outputBytes ?? 0) + (judge?.compile?.outputBytes ?? 0);
  return Math.ceil((outputs * 4) / 3) + testCount * 1024 + 64 * 1024;
}

/**
 * Pod resources: memory for the program (what it keeps in tmpfs, /dev/shm or memfds counts
 * against the same limit, as the runner measures it) plus the job's files in the work directory
 * plus the runner; requested as much as limited, so a node under pressure never evicts a run for
 * memory it was promised. The runner's own limits are exact; these are the backstop.
 */
export function sandboxResources(memoryMiB: number, config: SandboxConfig): V1ResourceRequirements {
  const memory = `${memoryMiB + config.workdirMiB + config.runnerOverheadMiB}Mi`;
  const ephemeral = `${config.ephemeralStorageMiB}Mi`;
  return {
    requests: { cpu: config.cpuRequest, memory, 'ephemeral-storage': ephemeral },
    limits: { cpu: config.cpuLimit, memory, 'ephemeral-storage': ephemeral },
  };
}

/** Backstop deadline of a cold pod: compile and every test (with its check, or its interactor beside it) at their wall limit, plus the margin. */
export function coldRunDeadlineSeconds(limits: ResolvedLimits, testCount: number, config: SandboxConfig): number {
  const { checker, interactor } = limits;
  const compileMillis = (limits.compile?.wallTimeMillis ?? 0) + ((checker ?? interactor)?.compile?.wallTimeMillis ?? 0);
  const perTest = Math.max(limits.run.wallTimeMillis, interactor?.run.wallTimeMillis ?? 0) + (checker?.run.wallTimeMillis ?? 0);
  const wallMillis = compileMillis + testCount * perTest;
  return Math.ceil(wallMillis / 1000) + config.deadlineMarginSeconds;
}

/** A pod for one run (cold: never restarted, with a deadline), or a warm pool pod. Both get their job through an exec. */
export type SandboxMode = { kind: 'run'; activeDeadlineSeconds: number } | { kind: 'idle' };

export interface SandboxPodSpecInput {
  image: string;
  runtimeClassName?: string | undefined;
  uid: number;
  resources: V1ResourceRequirements;
  mode: SandboxMode;
  /**
   * The largest memory limit of the runs the pod serves: what the program writes to /tmp and the
   * work directory is memory it is charged for, so neither tmpfs needs to be larger.
   */
  memoryMiB?: number;
}

function volumes(input: SandboxPodSpecInput, config: SandboxConfig): V1Volume[] {
  const tmpMiB = input.memoryMiB ?? config.tmpMiB;
  const workMiB = `${config.workdirMiB + (input.memoryMiB ?? 0)}Mi`;
  return [
    { name: VOLUMES.bin, emptyDir: { sizeLimit: '64Mi' } },
    { name: VOLUMES.work, emptyDir: { medium: 'Memory', sizeLimit: workMiB } },
    // The checker's or interactor's files and a test's input and answer: sized like the work directory.
    { name: VOLUMES.judge, emptyDir: { medium: 'Memory', sizeLimit: workMiB } },
    { name: VOLUMES.tmp, emptyDir: { medium: 'Memory', sizeLimit: `${tmpMiB}Mi` } },
  ];
}

function mainMounts(): V1VolumeMount[] {
  return [
    { name: VOLUMES.bin, mountPath: SANDBOX_PATHS.binDir, readOnly: true },
    { name: VOLUMES.work, mountPath: SANDBOX_PATHS.workdir },
    { name: VOLUMES.judge, mountPath: SANDBOX_PATHS.judgeDir },
    { name: VOLUMES.tmp, mountPath: SANDBOX_PATHS.tmp },
  ];
}

/**
 * The init container copies the static runner into the shared volume (Tekton's entrypoint
 * pattern), so any stock runtime image works. It gets the main container's resources: a small
 * CPU limit on it made Tekton's steps several times slower.
 */
export function runnerInitContainer(uid: number, resources: V1ResourceRequirements, config: SandboxConfig): V1Container {
  return {
    name: RUNNER_INIT_CONTAINER,
    image: config.runnerImage,
    imagePullPolicy: config.imagePullPolicy,
    command: [SANDBOX_PATHS.runnerInImage, 'install', SANDBOX_PATHS.binDir],
    resources,
    securityContext: sandboxContainerSecurityContext(uid),
    volumeMounts: [{ name: VOLUMES.bin, mountPath: SANDBOX_PATHS.binDir }],
    terminationMessagePolicy: 'File',
  };
}

/**
 * The pod spec of every sandbox pod, cold or warm: all layers of design.md "The sandbox". A warm
 * pool builds its pods with it, in mode idle.
 */
export function buildSandboxPodSpec(input: SandboxPodSpecInput, config: SandboxConfig): V1PodSpec {
  const { mode, uid } = input;
  const spec: V1PodSpec = {
    restartPolicy: mode.kind === 'run' ? 'Never' : 'Always',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // No DNS: the only name server is the pod's own loopback, where nothing answers.
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['127.0.0.1'], searches: [], options: [] },
    securityContext: sandboxPodSecurityContext(uid),
    terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
    initContainers: [runnerInitContainer(uid, input.resources, config)],
    containers: [
      {
        name: SANDBOX_CONTAINER,
        image: input.image,
        imagePullPolicy: config.imagePullPolicy,
        command: runnerIdleCommand(),
        workingDir: SANDBOX_PATHS.workdir,
        env: [
          { name: 'HOME', value: SANDBOX_PATHS.tmp },
          { name: 'TMPDIR', value: SANDBOX_PATHS.tmp },
        ],
        resources: input.resources,
        securityContext: sandboxContainerSecurityContext(uid),
        volumeMounts: mainMounts(),
        terminationMessagePolicy: 'File',
      },
    ],
    volumes: volumes(input, config),
  };
  if (mode.kind === 'run') spec.activeDeadlineSeconds = mode.activeDeadlineSeconds;
  if (config.userNamespaces) spec.hostUsers = false;
  if (input.runtimeClassName) spec.runtimeClassName = input.runtimeClassName;
  if (config.priorityClassName) spec.priorityClassName = config.priorityClassName;
  if (config.nodeSelector) spec.nodeSelector = { ...config.nodeSelector };
  if (config.tolerations) spec.tolerations = [...config.tolerations];
  return spec;
}

/** The uid range runs get under this config. */
export function uidRangeOf(config: SandboxConfig): UidRange {
  return config.userNamespaces ? USERNS_UID_RANGE : config.uidRange;
}

export interface ColdPodInput {
  run: RunRef;
  runtimeName: string;
  runtime: RuntimeSpec;
  limits: ResolvedLimits;
  testCount: number;
  attempt: number;
  /** Uids of the live sandbox pods (uidsInUse of the pod cache): the new pod gets another. */
  uidsInUse: ReadonlySet<number>;
}

/** The cold path's pod for one attempt of one run, in the sandbox namespace. */
export function buildSandboxPod(input: ColdPodInput, config: SandboxConfig): V1Pod {
  const { run, attempt } = input;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: sandboxPodName(run, attempt),
      namespace: config.namespace,
      labels: sandboxLabels(run, input.runtimeName, attempt),
      annotations: { [RUN_NAME_ANNOTATION]: `${run.namespace}/${run.name}` },
    },
    spec: buildSandboxPodSpec(
      {
        image: input.runtime.image,
        runtimeClassName: input.runtime.runtimeClassName,
        uid: allocateUid(run.uid, input.uidsInUse, uidRangeOf(config)),
        resources: sandboxResources(runMemoryMiB(input.limits), config),
        memoryMiB: runMemoryMiB(input.limits),
        mode: { kind: 'run', activeDeadlineSeconds: coldRunDeadlineSeconds(input.limits, input.testCount, config) },
      },
      config,
    ),
  };
}
