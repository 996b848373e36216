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

function labelSafe(value: string, max = 63): string {
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

/** The job ConfigMap of one attempt's pod. */
export function jobConfigMapName(run: RunRef, attempt: number): string {
  return `${sandboxPodName(run, attempt)}-job`;
}

/** Labels that tie a sandbox object to its CodeRun; select by run-uid, the only exact one. */
export function sandboxLabels(run: RunRef, runtimeName: string, attempt: number): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'sandbox',
    [LABELS.runNamespace]: run.namespace,
    [LABELS.runName]: labelSafe(run.name),
    [LABELS.runUid]: run.uid,
    [LABELS.runtime]: labelSafe(runtimeName),
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
 * so a uid per run makes the process limit a per-pod limit; 1e9 uids make two concurrent runs
 * on a node share one with a chance of about n²/2e9.
 */
export const HOST_UID_RANGE: UidRange = { start: 1_000_000_000, size: 1_000_000_000 };
/** With hostUsers: false a pod sees uids 0..65535 only, each pod mapped to its own host range. */
export const USERNS_UID_RANGE: UidRange = { start: 10_000, size: 50_000 };

/** The uid (and gid) a run's processes get: a hash of the run's UID into the range. */
export function sandboxUid(runUid: string, range: UidRange): number {
  const digest = createHash('sha256').update(runUid).digest();
  return range.start + (digest.readUIntBE(0, 6) % range.size);
}
