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
import type { RuntimeSpec } from '../../crds/runtime.js';
import type { ResolvedLimits } from './limits.js';
import {
  HOST_UID_RANGE,
  RUN_NAME_ANNOTATION,
  USERNS_UID_RANGE,
  jobConfigMapName,
  sandboxLabels,
  sandboxPodName,
  sandboxUid,
  type RunRef,
  type UidRange,
} from './sandbox-names.js';

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
  /** Ephemeral storage on top of the result document in the container log. */
  ephemeralStorageBaseMiB: number;
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
  ephemeralStorageBaseMiB: 32,
  deadlineMarginSeconds: 120,
  terminationGracePeriodSeconds: 2,
};

/** Where things are inside every sandbox pod. */
export const SANDBOX_PATHS = {
  binDir: '/coderun/bin',
  runner: '/coderun/bin/runner',
  jobDir: '/coderun/job',
  jobFile: '/coderun/job/job',
  workdir: '/work',
  tmp: '/tmp',
  /** Where the runner image keeps the binary. */
  runnerInImage: '/runner',
} as const;

export const SANDBOX_CONTAINER = 'sandbox';
export const RUNNER_INIT_CONTAINER = 'install-runner';
/** Key of the gzip-compressed job in the job ConfigMap's binaryData. */
export const JOB_CONFIGMAP_KEY = 'job';
/** The judging record's key in the same ConfigMap; never mounted into the pod. */
export const JUDGING_CONFIGMAP_KEY = 'judging';

const VOLUMES = { bin: 'coderun-bin', work: 'work', tmp: 'tmp', job: 'job' } as const;
const MiB = 1024 * 1024;

/** The runner command that runs one job: from the mounted file (cold) or from stdin (warm exec). */
export function runnerRunCommand(jobFile?: string): string[] {
  const command = [SANDBOX_PATHS.runner, 'run', '--workdir', SANDBOX_PATHS.workdir];
  return jobFile === undefined ? command : [...command, jobFile];
}

/** The command of a warm pool pod, waiting for a job through exec. */
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

/** What a sandbox pod must hold: the largest memory limit and the bytes its log may take. */
export interface SandboxNeeds {
  memoryMiB: number;
  logBytes: number;
}

/**
 * A cold run's needs: the larger of compile and run memory; the log holds the result document,
 * whose outputs are capped by outputBytes and may double in size by JSON escaping.
 */
export function coldRunNeeds(limits: ResolvedLimits, testCount: number): SandboxNeeds {
  const compileOutput = limits.compile?.outputBytes ?? 0;
  return {
    memoryMiB: Math.max(limits.run.memoryMiB, limits.compile?.memoryMiB ?? 0),
    logBytes: 2 * (2 * testCount * limits.run.outputBytes + compileOutput),
  };
}

/**
 * Pod resources: memory for the program plus both tmpfs volumes (their pages count against the
 * pod's memory cgroup) plus the runner; requested as much as limited, so a node under pressure
 * never evicts a run for memory it was promised. The runner's own rlimits and cgroup checks are
 * exact; these limits are the backstop.
 */
export function sandboxResources(needs: SandboxNeeds, config: SandboxConfig): V1ResourceRequirements {
  const memory = `${needs.memoryMiB + config.workdirMiB + config.tmpMiB + config.runnerOverheadMiB}Mi`;
  const ephemeral = `${config.ephemeralStorageBaseMiB + Math.ceil(needs.logBytes / MiB)}Mi`;
  return {
    requests: { cpu: config.cpuRequest, memory, 'ephemeral-storage': ephemeral },
    limits: { cpu: config.cpuLimit, memory, 'ephemeral-storage': ephemeral },
  };
}

/** Backstop deadline of a cold pod: compile and every test at their wall limit, plus the margin. */
export function coldRunDeadlineSeconds(limits: ResolvedLimits, testCount: number, config: SandboxConfig): number {
  const wallMillis = (limits.compile?.wallTimeMillis ?? 0) + testCount * limits.run.wallTimeMillis;
  return Math.ceil(wallMillis / 1000) + config.deadlineMarginSeconds;
}

/** How a sandbox pod gets its job: a mounted ConfigMap (cold), or later through exec (warm pool). */
export type SandboxMode = { kind: 'run'; jobConfigMapName: string; activeDeadlineSeconds: number } | { kind: 'idle' };

export interface SandboxPodSpecInput {
  image: string;
  runtimeClassName?: string | undefined;
  uid: number;
  resources: V1ResourceRequirements;
  mode: SandboxMode;
}

function volumes(mode: SandboxMode, config: SandboxConfig): V1Volume[] {
  const out: V1Volume[] = [
    { name: VOLUMES.bin, emptyDir: { sizeLimit: '64Mi' } },
    { name: VOLUMES.work, emptyDir: { medium: 'Memory', sizeLimit: `${config.workdirMiB}Mi` } },
    { name: VOLUMES.tmp, emptyDir: { medium: 'Memory', sizeLimit: `${config.tmpMiB}Mi` } },
  ];
  if (mode.kind === 'run') {
    out.push({
      name: VOLUMES.job,
      configMap: { name: mode.jobConfigMapName, items: [{ key: JOB_CONFIGMAP_KEY, path: 'job' }], defaultMode: 0o444 },
    });
  }
  return out;
}

function mainMounts(mode: SandboxMode): V1VolumeMount[] {
  const out: V1VolumeMount[] = [
    { name: VOLUMES.bin, mountPath: SANDBOX_PATHS.binDir, readOnly: true },
    { name: VOLUMES.work, mountPath: SANDBOX_PATHS.workdir },
    { name: VOLUMES.tmp, mountPath: SANDBOX_PATHS.tmp },
  ];
  if (mode.kind === 'run') out.push({ name: VOLUMES.job, mountPath: SANDBOX_PATHS.jobDir, readOnly: true });
  return out;
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
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/**
 * The pod spec of every sandbox pod, cold or warm: all layers of design.md "The sandbox". A warm
 * pool's Deployment uses it as its template with mode idle.
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
        command: mode.kind === 'run' ? runnerRunCommand(SANDBOX_PATHS.jobFile) : runnerIdleCommand(),
        workingDir: SANDBOX_PATHS.workdir,
        env: [
          { name: 'HOME', value: SANDBOX_PATHS.tmp },
          { name: 'TMPDIR', value: SANDBOX_PATHS.tmp },
        ],
        resources: input.resources,
        securityContext: sandboxContainerSecurityContext(uid),
        volumeMounts: mainMounts(mode),
        terminationMessagePolicy: 'FallbackToLogsOnError',
      },
    ],
    volumes: volumes(mode, config),
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
        uid: sandboxUid(run.uid, uidRangeOf(config)),
        resources: sandboxResources(coldRunNeeds(input.limits, input.testCount), config),
        mode: {
          kind: 'run',
          jobConfigMapName: jobConfigMapName(run, attempt),
          activeDeadlineSeconds: coldRunDeadlineSeconds(input.limits, input.testCount, config),
        },
      },
      config,
    ),
  };
}
