// The floor under every coderun run: the same trivial job through the runner binary started
// directly on the node, with no Kubernetes at all (no API server, pod, exec or watch). Each
// sample runs from the spawn to the runner's exit, so the warm and cold paths can be put next to
// it as ratios measured in the same sitting.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { RunSample } from './warm-cold-stats.js';

const RUNNER = resolve(import.meta.dirname, '../runner/bin/runner');
/** A uid of its own, as a sandbox pod's runner has: the runner counts and limits its uid's tasks. */
const FLOOR_UID = 64125;

/** The job the python Runtime's CodeRuns send: A+B, one test (the runner does not judge). */
export function floorJob(program: string, stdin: string, limits: object): string {
  return JSON.stringify({
    files: [{ path: 'main.py', content: program }],
    run: { command: ['python3', '-B', 'main.py'] },
    tests: [{ name: '1', stdin }],
    limits,
  });
}

const Result = z.looseObject({ tests: z.array(z.looseObject({ stdout: z.string(), exitCode: z.number().nullable().optional() })).optional() });

/** One runner run: the job on stdin, the result line on stdout; `expected` is what the test must print. */
function runOnce(job: string, expected: string, origin: number): Promise<RunSample> {
  const began = performance.now();
  const asRoot = process.getuid?.() === 0;
  const child = spawn(RUNNER, ['run'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', TMPDIR: '/tmp' },
    ...(asRoot ? { uid: FLOOR_UID, gid: FLOOR_UID } : {}),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end(job);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      const at = performance.now();
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
      const parsed = Result.safeParse(JSON.parse(lines[lines.length - 1] || '{}'));
      const stdout = parsed.success ? parsed.data.tests?.[0]?.stdout : undefined;
      const accepted = code === 0 && stdout === expected;
      done({
        latencyMs: at - began,
        createdAtMs: began - origin,
        finishedAtMs: at - origin,
        verdict: accepted ? 'Accepted' : 'WrongAnswer',
        path: 'floor',
        ...(accepted ? {} : { name: `floor-${Math.round(began)}`, detail: `exit ${code}; stdout ${JSON.stringify(stdout)}; stderr: ${Buffer.concat(err).toString('utf8').slice(0, 500)}` }),
      });
    });
  });
}

/** `n` runs started at once. */
export function floorBurst(job: string, expected: string, n: number): Promise<RunSample[]> {
  const origin = performance.now();
  return Promise.all(Array.from({ length: n }, () => runOnce(job, expected, origin)));
}

/** Runs arriving at `ratePerSecond` for `seconds` (open loop: arrivals do not wait for earlier runs). */
export async function floorOpenLoop(job: string, expected: string, ratePerSecond: number, seconds: number): Promise<RunSample[]> {
  const origin = performance.now();
  const count = Math.round(ratePerSecond * seconds);
  const runs: Array<Promise<RunSample>> = [];
  for (let i = 0; i < count; i++) {
    const due = origin + (i * 1000) / ratePerSecond;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    runs.push(runOnce(job, expected, origin));
  }
  return Promise.all(runs);
}
