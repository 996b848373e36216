import { createHash } from 'node:crypto';

/** The CodeRun a sandbox object belongs to. */
export interface RunRef {
  namespace: string;
  name: string;
  uid: string;
}

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  runNamespace: 'coderun.dev/run-namespace',
  runName: 'coderun.dev/run-name',
  runUid: 'coderun.dev/run-uid',
  runtime: 'coderun.dev/runtime',
  attempt: 'coderun.dev/attempt',
} as const;

export const MANAGED_BY = 'coderun';
/** Annotation with the full CodeRun name: a label value is cut at 63 characters. */
export const RUN_NAME_ANNOTATION = 'coderun.dev/run-name';

const NAME_PREFIX_CHARS = 20;

/** A label value: at most 63 characters, alphanumeric at both ends. */
export function labelValue(value: string, max = 63): string {
  return value
    .slice(0, max)
    .replace(/[^A-Za-z0-9]+$/, '')
    .replace(/^[^A-Za-z0-9]+/, '');
}

/**
 * The sandbox pod's name: readable prefix of the run name, the run's UID, and the attempt after
 * the first. Derived from the run alone, so a reconcile working from a stale cache finds
 * AlreadyExists instead of creating a second pod. At most 63 characters (a valid hostname).
 */
export function sandboxPodName(run: RunRef, attempt: number): string {
  const prefix = run.name.slice(0, NAME_PREFIX_CHARS).replace(/\./g, '-').replace(/-+$/, '') || 'run';
  return `${prefix}-${run.uid.toLowerCase()}${attempt > 1 ? `-${attempt}` : ''}`;
}

/** Labels that tie a sandbox object to its CodeRun; select by run-uid, the only exact one. */
export function sandboxLabels(run: RunRef, runtimeName: string, attempt: number): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'sandbox',
    [LABELS.runNamespace]: run.namespace,
    [LABELS.runName]: labelValue(run.name),
    [LABELS.runUid]: run.uid,
    [LABELS.runtime]: labelValue(runtimeName),
    [LABELS.attempt]: String(attempt),
  };
}

/** A label selector for every sandbox object of one run, e.g. for cleanup. */
export function runSelector(run: Pick<RunRef, 'uid'>): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.runUid}=${run.uid}`;
}

export interface UidRange {
  start: number;
  size: number;
}

/**
 * Without user namespaces: a range of host uids that no image or node user owns, below 2^31 so
 * that no tool with a signed uid trips over it. RLIMIT_NPROC counts per uid on the whole node,
 * so a uid per pod (allocateUid) makes the process limit a per-pod limit. The range is large so
 * that two allocations from caches that have not seen each other's pod yet almost never meet.
 */
export const HOST_UID_RANGE: UidRange = { start: 1_000_000_000, size: 1_000_000_000 };
/** With hostUsers: false a pod sees uids 0..65535 only, each pod mapped to its own host range. */
export const USERNS_UID_RANGE: UidRange = { start: 10_000, size: 50_000 };

/** Where a seed (a run's UID, a pool pod's name) hashes into the range: allocateUid's first choice. */
export function sandboxUid(seed: string, range: UidRange): number {
  const digest = createHash('sha256').update(seed).digest();
  return range.start + (digest.readUIntBE(0, 6) % range.size);
}

/**
 * The uid (and gid) of a new sandbox pod: the seed's hash into the range, or the next uid after it
 * (wrapping) that no live sandbox pod uses. RLIMIT_NPROC counts a uid's tasks on the whole node
 * while the runner sees only its own pod's, so a uid shared with another pod would make its
 * process limit depend on that pod. Deterministic for a seed and the same uids in use.
 */
export function allocateUid(seed: string, inUse: ReadonlySet<number>, range: UidRange): number {
  const first = sandboxUid(seed, range) - range.start;
  for (let i = 0; i < range.size; i++) {
    const uid = range.start + ((first + i) % range.size);
    if (!inUse.has(uid)) return uid;
  }
  throw new Error(`every uid of ${range.start}..${range.start + range.size - 1} is in use by a sandbox pod`);
}

/**
 * The uids of sandbox pods, e.g. from the pod cache: every one is in use until its pod is gone
 * from the API (a pod being deleted may still have processes).
 */
export function uidsInUse(pods: ReadonlyArray<{ spec?: { securityContext?: { runAsUser?: number } } }>): Set<number> {
  const out = new Set<number>();
  for (const pod of pods) {
    const uid = pod.spec?.securityContext?.runAsUser;
    if (uid !== undefined) out.add(uid);
  }
  return out;
}
