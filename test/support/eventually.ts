// The one polling loop of the tests: waits for a condition against a real cluster or process.

export interface EventuallyOptions {
  /** Time between checks. Default 50 ms. */
  intervalMs?: number;
  /** Appended to the timeout message: what was seen last. */
  detail?: () => string;
  /** A check that throws counts as "not yet" (an API call that fails while something starts). */
  ignoreErrors?: boolean;
}

/** Polls `check` until it returns true; fails after `timeoutMs` naming `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, options: EventuallyOptions = {}): Promise<void> {
  const { intervalMs = 50, detail = () => '', ignoreErrors = false } = options;
  const attempt = async (): Promise<boolean> => (ignoreErrors ? await Promise.resolve().then(check).catch(() => false) : await check());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
