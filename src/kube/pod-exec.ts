// Runs commands in a pod's container through the API server's exec (websocket): opened, then
// given its stdin (send). An opened session is a process already started in the container and
// waiting on stdin, so sending to it costs no API round trip, no kubelet or container-runtime exec:
// the warm path opens one per idle pool pod before any run needs it.
import { PassThrough, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export interface ExecResult {
  /** The exec status: Success, or Failure with the exit code in details.causes. */
  status: V1Status;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
}

/** Bounds of one exec: a runner that misbehaves must cost neither unbounded time nor memory. */
export interface ExecBounds {
  /** The exec is abandoned (and the socket closed) after this long. */
  timeoutMs: number;
  /** The exec is abandoned once stdout or stderr has carried more than this (default 64 MiB). */
  maxOutputBytes?: number;
  /**
   * Keep the command's stdin open until its stdout has carried a whole line, then close it: for a
   * command that answers one line and waits for its input to end before it exits (`runner run`).
   * The API server can relay the exit status before the last output bytes and then drop them;
   * a command that exits only after its whole answer arrived cannot lose any of it.
   */
  closeInputAfterLine?: boolean;
}

const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface ExecRequest extends ExecTarget, ExecBounds {
  stdin: Buffer;
}

/**
 * How long output may still arrive after the exit status. The API server relays the exec's
 * streams (stdout, stderr, status) each on its own, so the status can overtake the last stdout
 * bytes; the connection's close comes after all of them (seen in bursts: a status of Success
 * with an empty stdout; and 13 MB of a 66 MB result after the status). The close normally
 * follows within milliseconds.
 */
const OUTPUT_AFTER_STATUS_MS = 5000;

/**
 * Keeps every byte written to it, including bytes that come after the client ended it, up to a
 * bound: past it, `onOverflow` is called once and nothing more is kept.
 */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private limit = Infinity;
  private onOverflow: () => void = () => {};
  private lineListener: (() => void) | undefined;

  /** Calls `listener` once, when a newline has been written (at once if one was). */
  onLine(listener: () => void): void {
    if (this.chunks.some((c) => c.includes(0x0a))) listener();
    else this.lineListener = listener;
  }

  bound(maxBytes: number, onOverflow: () => void): void {
    this.limit = maxBytes;
    this.onOverflow = onOverflow;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.size <= this.limit) {
      this.size += chunk.length;
      if (this.size > this.limit) this.onOverflow();
      else this.chunks.push(chunk);
    }
    if (this.lineListener !== undefined && chunk.includes(0x0a)) {
      const listener = this.lineListener;
      this.lineListener = undefined;
      listener();
    }
    done();
  }

  // The client ends stdout and stderr as soon as the status arrives, and a write after that
  // would be refused: output that the status overtook must still be kept.
  override end(..._args: unknown[]): this {
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The exit code an exec status reports: 0 on Success, the ExitCode cause on Failure. */
export function execExitCode(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message === undefined ? undefined : Number(cause.message);
}

/** A command started in a container, waiting for its stdin. */
export interface ExecSession {
  readonly pod: string;
  /** False once the command ended or the connection closed: send would fail. */
  readonly open: boolean;
  /**
   * Writes `stdin`, closes it, and resolves with the command's status and output once it reports
   * its end. Rejects when the connection closes without a status, or a bound is passed. Once only.
   */
  send(stdin: Buffer, bounds: ExecBounds): Promise<ExecResult>;
  /** Closes the connection; the command sees its stdin end. */
  close(): void;
  /** Called once, when the session can no longer be sent to (ended, closed, failed). */
  onClosed(listener: () => void): void;
}

class WebSocketExecSession implements ExecSession {
  private readonly stdin = new PassThrough();
  private readonly stdout = new Collector();
  private readonly stderr = new Collector();
  private socket: { close(): void; addEventListener(type: 'close', listener: () => void): void } | undefined;
  private ended: { status: V1Status } | { error: Error } | undefined;
  private status: V1Status | undefined;
  private readonly waiters: Array<() => void> = [];
  private readonly closedListeners: Array<() => void> = [];
  private sent = false;

  constructor(
    private readonly exec: Exec,
    private readonly target: ExecTarget,
  ) {}

  get pod(): string {
    return this.target.pod;
  }

  get open(): boolean {
    return this.ended === undefined && this.status === undefined && this.socket !== undefined;
  }

  async connect(): Promise<void> {
    const { namespace, pod, container, command } = this.target;
    try {
      const socket = await this.exec.exec(namespace, pod, container, command, this.stdout, this.stderr, this.stdin, false, (status) => this.statusArrived(status));
      this.socket = socket;
      socket.addEventListener('close', () =>
        this.end(this.status !== undefined ? { status: this.status } : { error: new Error(`the exec connection to pod ${pod} closed before the command reported its end`) }),
      );
    } catch (err: unknown) {
      // The client rejects with the WebSocket's ErrorEvent (e.g. "Unexpected server response: 403"), not an Error.
      const detail = err instanceof Error ? err.message : typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
      const error = new Error(`exec in pod ${pod} failed to connect: ${detail}`);
      this.end({ error });
      throw error;
    }
  }

  /** The command ended; its output is complete once the connection closes (or after a bound). */
  private statusArrived(status: V1Status): void {
    this.status ??= status;
    setTimeout(() => this.end({ status }), OUTPUT_AFTER_STATUS_MS).unref();
  }

  private end(outcome: { status: V1Status } | { error: Error }): void {
    if (this.ended !== undefined) return;
    this.ended = outcome;
    for (const wake of this.waiters.splice(0)) wake();
    for (const listener of this.closedListeners.splice(0)) listener();
  }

  /** A method, so that the compiler does not keep its narrowing of `ended` across an await. */
  private outcome(): { status: V1Status } | { error: Error } | undefined {
    return this.ended;
  }

  onClosed(listener: () => void): void {
    if (this.ended !== undefined) listener();
    else this.closedListeners.push(listener);
  }

  async send(stdin: Buffer, bounds: ExecBounds): Promise<ExecResult> {
    if (this.sent) throw new Error(`the exec session to pod ${this.target.pod} was already used`);
    this.sent = true;
    if (!this.open) {
      this.close();
      throw new Error(`the exec session to pod ${this.target.pod} ended before its input was sent`);
    }
    const { timeoutMs, maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES } = bounds;
    for (const [stream, collector] of [['stdout', this.stdout], ['stderr', this.stderr]] as const) {
      collector.bound(maxOutputBytes, () => this.end({ error: new Error(`exec in pod ${this.target.pod} wrote more than ${maxOutputBytes} bytes to ${stream}`) }));
    }
    const timer = setTimeout(() => this.end({ error: new Error(`exec in pod ${this.target.pod} did not end within ${timeoutMs} ms`) }), timeoutMs);
    try {
      if (bounds.closeInputAfterLine === true) {
        this.stdin.write(stdin);
        this.stdout.onLine(() => this.stdin.end());
      } else {
        this.stdin.end(stdin);
      }
      await new Promise<void>((resolve) => (this.ended === undefined ? this.waiters.push(resolve) : resolve()));
      const outcome = this.outcome();
      if (outcome === undefined) throw new Error('unreachable: an exec session woke before it ended');
      if ('error' in outcome) throw outcome.error;
      return { status: outcome.status, stdout: this.stdout.bytes(), stderr: this.stderr.bytes() };
    } finally {
      clearTimeout(timer);
      this.close();
    }
  }

  close(): void {
    this.socket?.close();
    this.end({ error: new Error(`the exec session to pod ${this.target.pod} was closed`) });
  }
}

/**
 * The client closes the connection as soon as the exit status arrives, but the API server can relay
 * the status before the last stdout bytes (seen: the status after 53 of 66 MB of a result), which
 * would be lost and the run retried. Wrapped, the connection stays open after the status: the
 * session ends when the server closes it, or OUTPUT_AFTER_STATUS_MS after the status.
 */
function keepOpenAfterStatus(inner: Exec['handler']): Exec['handler'] {
  return {
    connect: (path, textHandler, binaryHandler) =>
      inner.connect(
        path,
        textHandler,
        binaryHandler === null
          ? null
          : (stream, data) => {
              binaryHandler(stream, data);
              return true;
            },
      ),
  };
}

export class PodExec {
  private readonly exec: Exec;

  constructor(kubeConfig: KubeConfig) {
    this.exec = new Exec(kubeConfig, keepOpenAfterStatus(new Exec(kubeConfig).handler));
  }

  /** Starts `target.command` and resolves once the connection is up; rejects if it cannot be. */
  async open(target: ExecTarget): Promise<ExecSession> {
    const session = new WebSocketExecSession(this.exec, target);
    await session.connect();
    return session;
  }

  /** Starts the command, gives it `stdin`, and resolves when it has ended (see ExecSession.send). */
  async run(request: ExecRequest): Promise<ExecResult> {
    const { stdin, timeoutMs, maxOutputBytes, ...target } = request;
    const session = await this.open(target);
    return session.send(stdin, { timeoutMs, maxOutputBytes });
  }
}
