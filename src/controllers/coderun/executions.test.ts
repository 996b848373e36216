import { Executions, type AttemptRecord } from './executions.js';
import type { RunOutcome } from './verdict.js';

const result: RunOutcome = { kind: 'result', result: { compile: null, tests: [], error: null } };
const record = (attempt: number, podName = `pod-${attempt}`): AttemptRecord<string> => ({ attempt, podName, path: 'cold', prepared: 'job' });

/** A work function the test finishes by hand, recording whether it was cancelled. */
function controllable() {
  let finish: (outcome: RunOutcome) => void = () => {};
  let fail: (err: Error) => void = () => {};
  const seen: { signal?: AbortSignal } = {};
  const work = (signal: AbortSignal) =>
    new Promise<RunOutcome>((resolve, reject) => {
      seen.signal = signal;
      finish = resolve;
      fail = reject;
    });
  return { work, seen, finish: (o: RunOutcome) => finish(o), fail: (e: Error) => fail(e) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Executions', () => {
  test('a cold attempt waits for its pod, runs outside the caller, and its end enqueues the run', async () => {
    const ended: string[] = [];
    const executions = new Executions<string>((key) => ended.push(key));
    executions.awaitPod('ns/a', record(1));
    expect(executions.view('ns/a', 1, 'pod-1')).toEqual({ kind: 'awaitingPod' });

    const exec = controllable();
    executions.start('ns/a', record(1), exec.work);
    expect(executions.view('ns/a', 1, 'pod-1')).toEqual({ kind: 'running' });
    expect(ended).toEqual([]);

    exec.finish(result);
    await tick();
    expect(ended).toEqual(['ns/a']);
    expect(executions.view('ns/a', 1, 'pod-1')).toEqual({ kind: 'done', sandboxFailure: undefined });
    expect(executions.get('ns/a', 1, 'pod-1')).toMatchObject({ state: 'done', outcome: result });
  });

  test('an exec that throws is a failure of the sandbox, naming the pod', async () => {
    const executions = new Executions<string>(() => {});
    const exec = controllable();
    executions.start('ns/a', record(1), exec.work);
    exec.fail(new Error('connection reset'));
    await tick();
    expect(executions.view('ns/a', 1, 'pod-1')).toEqual({ kind: 'done', sandboxFailure: 'the exec into pod pod-1 failed: connection reset' });
  });

  test('another attempt or pod than the one held is not this execution', () => {
    const executions = new Executions<string>(() => {});
    executions.awaitPod('ns/a', record(1));
    expect(executions.view('ns/a', 2, 'pod-2')).toEqual({ kind: 'none' });
    expect(executions.view('ns/a', 1, 'other')).toEqual({ kind: 'none' });
    expect(executions.view('ns/b', 1, 'pod-1')).toEqual({ kind: 'none' });
  });

  test('forgetting a running execution cancels its exec, and its late end is ignored', async () => {
    const ended: string[] = [];
    const executions = new Executions<string>((key) => ended.push(key));
    const exec = controllable();
    executions.start('ns/a', record(1), exec.work);
    executions.forget('ns/a');
    expect(exec.seen.signal?.aborted).toBe(true);
    exec.finish(result);
    await tick();
    expect(ended).toEqual([]);
    expect(executions.view('ns/a', 1, 'pod-1')).toEqual({ kind: 'none' });
  });

  test('a new attempt replaces the old one and cancels it', async () => {
    const executions = new Executions<string>(() => {});
    const first = controllable();
    executions.start('ns/a', record(1), first.work);
    executions.start('ns/a', record(2), controllable().work);
    expect(first.seen.signal?.aborted).toBe(true);
    expect(executions.view('ns/a', 2, 'pod-2')).toEqual({ kind: 'running' });
    expect(executions.size).toBe(1);
  });

  test('forgetAll cancels every exec (the operator stops or lost its lease)', () => {
    const executions = new Executions<string>(() => {});
    const execs = [controllable(), controllable()];
    executions.start('ns/a', record(1), execs[0]!.work);
    executions.start('ns/b', record(1), execs[1]!.work);
    executions.forgetAll();
    expect(execs.map((e) => e.seen.signal?.aborted)).toEqual([true, true]);
    expect(executions.size).toBe(0);
  });
});
