// Runs one command in a pod's container through the API server's exec (websocket), with bytes on
// stdin, and returns its whole stdout and stderr once the command has ended.
import { Readable, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

export interface ExecResult {
  /** The exec status: Success, or Failure with the exit code in details.causes. */
  status: V1Status;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: Buffer;
  /** The exec is abandoned (and the socket closed) after this long. */
  timeoutMs: number;
}

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
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

export class PodExec {
  private readonly exec: Exec;

  constructor(kubeConfig: KubeConfig) {
    this.exec = new Exec(kubeConfig);
  }

  /**
   * Resolves when the status callback fires (the command has ended; every output frame came
   * before it). Rejects when the socket closes without a status (pod gone, API server lost) or
   * the timeout passes.
   */
  async run(request: ExecRequest): Promise<ExecResult> {
    const stdout = new Collector();
    const stderr = new Collector();
    let settle: { resolve: (r: ExecResult) => void; reject: (e: Error) => void } | undefined;
    const done = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
    let finished = false;
    const finish = (outcome: { status: V1Status } | { error: Error }): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if ('error' in outcome) settle?.reject(outcome.error);
      else settle?.resolve({ status: outcome.status, stdout: stdout.bytes(), stderr: stderr.bytes() });
    };
    const timer = setTimeout(() => finish({ error: new Error(`exec in pod ${request.pod} did not end within ${request.timeoutMs} ms`) }), request.timeoutMs);
    const socket = await this.exec
      .exec(request.namespace, request.pod, request.container, request.command, stdout, stderr, Readable.from([request.stdin]), false, (status) =>
        finish({ status }),
      )
      .catch((err: unknown) => {
        finish({ error: err instanceof Error ? err : new Error(`exec in pod ${request.pod} failed to connect: ${String(err)}`) });
        return undefined;
      });
    socket?.addEventListener('close', () => finish({ error: new Error(`the exec connection to pod ${request.pod} closed before the command reported its end`) }));
    try {
      return await done;
    } finally {
      socket?.close();
    }
  }
}
