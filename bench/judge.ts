// Judging hostile output: every compare mode on 1 MiB and 64 MiB of adversarial shapes (the ones
// that made the old regular expressions backtrack quadratically) and a normal one, judged as the
// operator judges (runStepsAsync: the event loop runs between slices).
//
//   npx tsx bench/judge.ts
//
// Per case: wall time, throughput, steps per byte (the unit tests' linearity measure), the p99
// and longest slice of synchronous work, and the longest event-loop delay seen meanwhile (a 1 ms
// timer histogram). For reference it also times parsing a runner result document that carries
// 64 MiB of output, which is synchronous (JSON.parse). Prints a table, writes
// bench/results/judge.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { COMPARE_MODES, type CompareMode } from '../src/crds/coderun.js';
import { compareOutput, type Comparison } from '../src/controllers/coderun/compare.js';
import { parseResultDocument } from '../src/sandbox/runner-protocol.js';
import { Meter, runStepsAsync, type Steps } from '../src/controllers/coderun/steps.js';

const MiB = 1 << 20;
const SIZES = [MiB, 64 * MiB];

/** Output of about `size` bytes: one character pattern repeated, then a tail. */
const repeated = (pattern: string, size: number, tail = '') => Buffer.from(pattern.repeat(Math.floor((size - tail.length) / pattern.length)) + tail, 'latin1');

const SHAPES: { name: string; make: (size: number) => Buffer }[] = [
  { name: 'blank run, then a letter', make: (size) => repeated(' ', size, 'x') },
  { name: 'digit run, then a letter', make: (size) => repeated('1', size, 'a') },
  { name: 'one huge line', make: (size) => repeated('ab', size) },
  { name: 'many tiny lines', make: (size) => repeated('a\n', size) },
  { name: 'normal: numbers', make: (size) => repeated('123456 0.333333 -2.5e3\n', size) },
];

interface Case {
  sizeMiB: number;
  shape: string;
  mode: CompareMode;
  equal: boolean;
  ms: number;
  mibPerSecond: number;
  stepsPerByte: number;
  slices: number;
  p99SliceMs: number;
  longestSliceMs: number;
  longestLoopDelayMs: number;
}

/** Passes the steps through, timing each slice of synchronous work. */
function* timed<T>(steps: Steps<T>, sliceMs: number[]): Steps<T> {
  for (;;) {
    const start = performance.now();
    const next = steps.next();
    sliceMs.push(performance.now() - start);
    if (next.done) return next.value;
    yield;
  }
}

async function judgeCase(size: number, shape: (typeof SHAPES)[number], mode: CompareMode): Promise<Case> {
  const actual = shape.make(size);
  const expected = Buffer.from(actual); // equal: the whole of both outputs is examined
  const meter = new Meter();
  const sliceMs: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  const comparison: Comparison = await runStepsAsync(timed(compareOutput(actual, expected, { mode }, meter), sliceMs));
  const ms = performance.now() - start;
  delay.disable();
  return {
    sizeMiB: size / MiB,
    shape: shape.name,
    mode,
    equal: comparison.equal,
    ms: round(ms),
    mibPerSecond: round(size / MiB / (ms / 1000)),
    stepsPerByte: round(meter.steps / actual.length),
    slices: sliceMs.length,
    p99SliceMs: round(sliceMs.sort((a, b) => a - b)[Math.floor(sliceMs.length * 0.99)] ?? 0),
    longestSliceMs: round(sliceMs.at(-1) ?? 0),
    longestLoopDelayMs: round(delay.max / 1e6),
  };
}

/** The synchronous part before judging: parsing a result document with 64 MiB of output. */
function parseCase(encoding: 'utf8' | 'base64'): { encoding: string; documentMiB: number; ms: number } {
  const output = encoding === 'utf8' ? repeated('a\n', 64 * MiB).toString('latin1') : Buffer.alloc(64 * MiB, 0xff).toString('base64');
  const test = {
    name: '1', exitCode: 0, signal: null, cpuTimeMillis: 1, wallTimeMillis: 1, memoryKiB: 1, stdout: output, stdoutEncoding: encoding,
    stderr: '', stderrEncoding: 'utf8', stdoutTruncated: false, stderrTruncated: false, limitExceeded: null,
  };
  const document = JSON.stringify({ compile: null, tests: [test], error: null });
  const start = performance.now();
  const parsed = parseResultDocument(document);
  const ms = performance.now() - start;
  if (!parsed.ok) throw new Error(parsed.message);
  return { encoding, documentMiB: round(document.length / MiB), ms: round(ms) };
}

const round = (n: number) => Math.round(n * 100) / 100;

const cases: Case[] = [];
for (const size of SIZES) {
  for (const shape of SHAPES) {
    for (const mode of COMPARE_MODES) {
      const result = await judgeCase(size, shape, mode);
      if (!result.equal) throw new Error(`${mode} on ${shape.name} should be equal`);
      cases.push(result);
    }
  }
}
const parses = [parseCase('utf8'), parseCase('base64')];

console.log('judging (runStepsAsync, equal outputs: both examined whole)');
console.table(
  cases.map((c) => ({
    MiB: c.sizeMiB,
    shape: c.shape,
    mode: c.mode,
    ms: c.ms,
    'MiB/s': c.mibPerSecond,
    'steps/byte': c.stepsPerByte,
    slices: c.slices,
    'p99 slice ms': c.p99SliceMs,
    'longest slice ms': c.longestSliceMs,
    'longest loop delay ms': c.longestLoopDelayMs,
  })),
);
console.log('parsing a result document with 64 MiB of stdout (synchronous JSON.parse + decoding)');
console.table(parses);

const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const results = {
  measured: new Date().toISOString(),
  command: 'npx tsx bench/judge.ts',
  what: 'compareOutput through runStepsAsync on equal outputs; slice = one synchronous next() of the steps; loop delay = monitorEventLoopDelay max (1 ms resolution)',
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  judging: cases,
  parsing64MiB: parses,
};
writeFileSync(resolve(resultsDir, 'judge.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('wrote bench/results/judge.json');
