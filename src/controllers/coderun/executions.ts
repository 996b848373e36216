// The executions this process holds, one per run key: the current attempt's job on its way
// through an exec into the sandbox pod, and what came back. An exec is awaited here, outside the
// reconcile workers, so a long run holds no worker; its end enqueues the run, whose next
// reconcile judges the outcome. Executions live only in this process (an exec is a connection):
// a restarted operator or a new leader holds none, and the plan retries such an attempt.
import type { ExecView } from './plan.js';
import type { RunPath } from '../../crds/coderun.js';
import type { RunOutcome } from './verdict.js';

/** What an attempt needs from start to verdict; kept with its execution. */
export interface AttemptRecord<Prepared> {
  attempt: number;
  podName: string;
  path: RunPath;
  prepared: Prepared;
}

export type Execution<Prepared> = AttemptRecord<Prepared> &
  (
    | { state: 'awaitingPod' }
    | { state: 'running'; sentAt: Date; cancel: () => void }
    | { state: 'done'; sentAt: Date; finishedAt: Date; outcome: RunOutcome }
  );

/** Starts the exec; resolves with what came back (a failure of the sandbox is an outcome too). */
export type ExecWork = (signal: AbortSignal) => Promise<RunOutcome>;

export class Executions<Prepared> {
  private readonly byKey = new Map<string, Execution<Prepared>>();

  /** `onEnded` is told the key of every execution that ended (to enqueue its run). */
  constructor(
    private readonly onEnded: (key: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The execution of the run's current attempt, if this process holds it. */
  get(key: string, attempt: number, podName: string | undefined): Execution<Prepared> | undefined {
    const execution = this.byKey.get(key);
    return execution !== undefined && execution.attempt === attempt && execution.podName === podName ? execution : undefined;
  }

  view(key: string, attempt: number, podName: string | undefined): ExecView {
    const execution = this.get(key, attempt, podName);
    switch (execution?.state) {
      case undefined:
        return { kind: 'none' };
      case 'awaitingPod':
        return { kind: 'awaitingPod' };
      case 'running':
        return { kind: 'running' };
      case 'done':
        return { kind: 'done', sandboxFailure: execution.outcome.kind === 'sandboxFailure' ? execution.outcome.message : undefined };
    }
  }

  /** A cold attempt whose pod was created: its job is sent once the pod is ready. */
  awaitPod(key: string, record: AttemptRecord<Prepared>): void {
    this.forget(key);
    this.byKey.set(key, { ...record, state: 'awaitingPod' });
  }

  /** Starts `work` for the attempt without waiting for it; its end is kept and reported. */
  start(key: string, record: AttemptRecord<Prepared>, work: ExecWork): void {
    const previous = this.byKey.get(key);
    if (previous !== undefined && (previous.attempt !== record.attempt || previous.state !== 'awaitingPod')) this.forget(key);
    const abort = new AbortController();
    const sentAt = this.now();
    const execution: Execution<Prepared> = { ...record, state: 'running', sentAt, cancel: () => abort.abort() };
    this.byKey.set(key, execution);
    const ended = (outcome: RunOutcome): void => {
      if (this.byKey.get(key) !== execution) return; // forgotten or replaced meanwhile
      this.byKey.set(key, { ...record, state: 'done', sentAt, finishedAt: this.now(), outcome });
      this.onEnded(key);
    };
    work(abort.signal).then(ended, (err: unknown) =>
      ended({ kind: 'sandboxFailure', message: `the exec into pod ${record.podName} failed: ${err instanceof Error ? err.message : String(err)}` }),
    );
  }

  /** Drops the run's execution, cancelling its exec if it still runs. */
  forget(key: string): void {
    const execution = this.byKey.get(key);
    this.byKey.delete(key);
    if (execution?.state === 'running') execution.cancel();
  }

  /** Cancels every exec (the operator stops or lost its lease). */
  forgetAll(): void {
    for (const key of [...this.byKey.keys()]) this.forget(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}
