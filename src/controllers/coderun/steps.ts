// Judging runs on the operator's one event loop, which must also renew the leader lease and serve
// the API watches. Long work is therefore written as steps: a generator that counts its work on a
// Meter and yields after each slice of it, run to the end at once by runSteps (pure code, tests)
// or with the event loop let in between slices by runStepsAsync (the operator).
import { setImmediate } from 'node:timers/promises';

/** A computation that yields (nothing) after each slice of its work and returns a T. */
export type Steps<T> = Generator<void, T, void>;

/** Work between two yields: about 64 KiB of output examined, well under a millisecond. */
const SLICE_STEPS = 64 * 1024;

/** Counts a computation's steps (one per byte it examines) and says when a slice is done. */
export class Meter {
  /** Steps counted so far: what the linearity tests and the benchmark read. */
  steps = 0;
  private sliceEnd: number;

  constructor(private readonly sliceSteps: number = SLICE_STEPS) {
    this.sliceEnd = sliceSteps;
  }

  /** Counts `n` more steps; true when a slice is complete and the computation should yield. */
  add(n: number): boolean {
    this.steps += n;
    if (this.steps < this.sliceEnd) return false;
    this.sliceEnd = this.steps + this.sliceSteps;
    return true;
  }
}

/** Runs steps to the end without letting anything else run. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs steps, letting the event loop run pending I/O and timers after every slice. */
export async function runStepsAsync<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await setImmediate();
  }
}
