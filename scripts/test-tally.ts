// Counts passed, failed and skipped tests in the JSON reports of jest and `go test -json`, and in
// the plain closing line (`N passed, N failed`) of a script that checks things itself.
import { z } from 'zod';

const jestReport = z.object({
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numPendingTests: z.number(),
  numTodoTests: z.number().default(0),
});
const goEvent = z.object({
  Action: z.string(),
  Test: z.string().optional(),
  Package: z.string().optional(),
  Output: z.string().optional(),
});

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export function tallyJest(text: string): Tally {
  const r = jestReport.parse(JSON.parse(text));
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

function goEvents(text: string): z.infer<typeof goEvent>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => goEvent.safeParse(JSON.parse(line)))
    .flatMap((e) => (e.success ? [e.data] : []));
}

// `go test -json` emits one event per line; a test's final action is pass, fail or skip.
// A package that fails to build has no test events but a package-level fail.
export function tallyGo(text: string): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const { Action, Test } of goEvents(text)) {
    if (Test === undefined) {
      if (Action === 'fail') t.failed += 1;
      continue;
    }
    if (Action === 'pass') t.passed += 1;
    else if (Action === 'fail') t.failed += 1;
    else if (Action === 'skip') t.skipped += 1;
  }
  return t;
}

// The printed output of every failed Go test (and of a package that failed to build), in order.
export function goFailureOutput(text: string): string {
  const events = goEvents(text);
  const id = (e: { Package?: string | undefined; Test?: string | undefined }) => `${e.Package ?? ''}/${e.Test ?? ''}`;
  const failed = new Set(events.filter((e) => e.Action === 'fail').map(id));
  return events
    .filter((e) => e.Action === 'output' && failed.has(id(e)))
    .map((e) => e.Output ?? '')
    .join('');
}

/** The last `N passed, N failed[, N skipped]` line of a script's output; none found counts as a failure. */
export function tallyPlain(text: string): Tally {
  const lines = text.split('\n').reverse();
  for (const line of lines) {
    const m = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/.exec(line.trim());
    if (m) return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) };
  }
  return { passed: 0, failed: 1, skipped: 0 };
}
