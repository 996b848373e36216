import { gzipSync } from 'node:zlib';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { Verdict } from '../../src/crds/coderun.js';
import {
  CANARY_PYTHON,
  HOSTILE_OPERATOR_ENV,
  PATHS,
  PathRuntimes,
  ResponsivenessProbe,
  leaseLossesInLog,
  readLease,
  runName,
  storedStdoutBytes,
  storedTests,
  verdictOf,
  waitAndTime,
  type LeaseSeen,
  type RunPath,
} from './hostile-support.js';

// Hostile submissions against the operator itself (issue "hostile submissions", parts 1, 5, 6):
// output shaped to make the judging slow (long blank runs, long digit runs, 63 MiB of it), output
// that escapes badly on its way back (<, >, &, control bytes, bytes that are not UTF-8), and
// output that only looks like the expected one once decoded lossily. Each case runs on both
// paths; each must be judged by the comparison, in bounded time, by the operator the suite
// started, which keeps its Lease and keeps answering meanwhile, while other runs finish.

const MiB = 1024 * 1024;
const suffix = Math.random().toString(16).slice(2, 8);

/** A Python program writing `parts` to stdout (or stderr): [hex bytes, repeat] pairs, streamed in pieces. */
function writer(parts: Array<[string, number]>, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return [
    'import sys',
    `w = sys.${stream}.buffer.write`,
    'def emit(unit, count):',
    '    piece = unit * max(1, 65536 // len(unit))',
    '    per = 65536 // len(unit) or 1',
    '    for _ in range(count // per):',
    '        w(piece)',
    '    w(unit * (count % per))',
    ...parts.map(([hex, count]) => `emit(bytes.fromhex("${hex}"), ${count})`),
    `sys.${stream}.flush()`,
    '',
  ].join('\n');
}
const hex = (text: string | Buffer): string => Buffer.from(text).toString('hex');

// Part 5: output made of what JSON escapes most (<, >, &, quote, backslash, control bytes), valid
// multi-byte characters, and (in the second unit) bytes that are not UTF-8: FF, FE, a lone
// continuation byte, a lead byte without its continuation. Each of those is replaced by one U+FFFD
// by any decoder, so LOSSY below is exactly what a lossy decoding of the output reads.
const VALID_UNIT = Buffer.concat([Buffer.from('<>&"\\'), Buffer.from([0x00, 0x01, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f, 0x7f]), Buffer.from('é€')]);
const INVALID_UNIT = Buffer.concat([VALID_UNIT, Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28])]);
const FITS_BYTES = 8 * MiB;
const validCount = Math.floor(FITS_BYTES / VALID_UNIT.length);
const invalidCount = Math.floor(FITS_BYTES / INVALID_UNIT.length);
const VALID_OUTPUT = Buffer.concat(Array.from({ length: validCount }, () => VALID_UNIT));
const LOSSY_OF_INVALID = Buffer.from(Buffer.concat(Array.from({ length: invalidCount }, () => INVALID_UNIT)).toString('utf8'), 'utf8');

/** ConfigMaps of the namespace: expected outputs too large for a spec, gzip'd into binaryData. */
const CONFIG_MAPS: Record<string, Buffer> = {
  'fits-valid': VALID_OUTPUT,
  'fits-lossy': LOSSY_OF_INVALID,
};
const expectedFrom = (name: string) => ({ configMapKeyRef: { name, key: 'out.gz' }, gzip: true });

interface Case {
  /** Python unless it says C. */
  language?: 'c';
  /** The spec but its runtime; outputBytes is 16 MiB unless the case says otherwise. */
  spec: Record<string, unknown>;
  verdict: Verdict;
  /** What the run's message must say (the comparison's finding). */
  message: RegExp;
}

const HEAVY_LIMITS = { outputBytes: 64 * MiB, wallTimeMillis: 20000, cpuTimeMillis: 10000 };

const cases: Record<string, Case> = {
  // Part 1: one line of 100k blanks and a letter, judged line by line ignoring trailing blanks.
  'blanks-then-letter-trim': {
    spec: { source: { inline: writer([[hex(' '), 100_000], [hex('x\n'), 1]]) }, tests: [{ name: '1', expectedStdout: 'y\n' }], compare: { mode: 'trimTrailingWhitespace' } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*line 1/,
  },
  // 200k lines of blanks (with CR) before the one that matters.
  'blank-lines-trim': {
    spec: { source: { inline: writer([[hex('  \t \r\n'), 200_000], [hex('x\n'), 1]]) }, tests: [{ name: '1', expectedStdout: 'x\n' }], compare: { mode: 'trimTrailingWhitespace' } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*line 1/,
  },
  // A token of 60k digits ending in a letter, judged as a number where both are numbers.
  'digits-then-letter-float': {
    spec: { source: { inline: writer([[hex('7'), 60_000], [hex('z\n'), 1]]) }, tests: [{ name: '1', expectedStdout: '7\n' }], compare: { mode: 'float' } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*token 1/,
  },
  // 10k numbers of 800 digits each, every one within the tolerance of 1.
  'long-numbers-float': {
    spec: {
      source: { inline: writer([[hex(`1.${'0'.repeat(797)}1\n`), 10_000]]) },
      tests: [{ name: '1', expectedStdout: '1\n'.repeat(10_000) }],
      compare: { mode: 'float' },
    },
    verdict: 'Accepted',
    message: /^Accepted/,
  },
  // 4 MiB of blanks before the one token.
  'blanks-then-token-tokens': {
    spec: { source: { inline: writer([[hex(' \t\n'), 1_400_000], [hex('x\n'), 1]]) }, tests: [{ name: '1', expectedStdout: 'y\n' }], compare: { mode: 'tokens' } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*token 1/,
  },
  // 63 MiB of each shape, under an output limit raised to 64 MiB.
  'huge-blanks-trim': {
    spec: { source: { inline: writer([[hex(' '), 63 * MiB], [hex('x\n'), 1]]) }, tests: [{ name: '1', expectedStdout: 'y\n' }], compare: { mode: 'trimTrailingWhitespace' }, limits: HEAVY_LIMITS },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*line 1/,
  },
  'huge-digits-float': {
    spec: { source: { inline: writer([[hex('9'), 63 * MiB], [hex('z\n'), 1]]) }, tests: [{ name: '1', expectedStdout: '9\n' }], compare: { mode: 'float' }, limits: HEAVY_LIMITS },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: .*token 1/,
  },
  'huge-escapes-exact': {
    spec: { source: { inline: writer([[hex(INVALID_UNIT), Math.floor((63 * MiB) / INVALID_UNIT.length)]]) }, tests: [{ name: '1', expectedStdout: 'x\n' }], limits: HEAVY_LIMITS },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: /,
  },
  // The same on stderr, which is kept but never compared: the expected stdout comes after it.
  'huge-escapes-stderr': {
    spec: {
      source: { inline: `${writer([[hex(INVALID_UNIT), Math.floor((63 * MiB) / INVALID_UNIT.length)]], 'stderr')}print("ok")\n` },
      tests: [{ name: '1', expectedStdout: 'ok\n' }],
      limits: HEAVY_LIMITS,
    },
    verdict: 'Accepted',
    message: /^Accepted/,
  },
  // The compiler's output is the program's too: 5000 errors, about 340 KB of it (gcc takes time
  // quadratic in the number of errors, so more would only test the compile step's CPU limit).
  'compiler-floods': {
    language: 'c',
    spec: { source: { inline: '@\n'.repeat(5000) }, tests: [{ name: '1', expectedStdout: '' }] },
    verdict: 'CompilationError',
    message: /^compilation failed with exit code 1/,
  },
  // Part 5: 8 MiB of the worst bytes to escape under a 32 MiB memory limit, judged by comparison.
  'fits-valid-accepted': {
    spec: { source: { inline: writer([[hex(VALID_UNIT), validCount]]) }, tests: [{ name: '1', expectedStdoutFrom: expectedFrom('fits-valid') }], limits: { memoryMiB: 32, outputBytes: 16 * MiB } },
    verdict: 'Accepted',
    message: /^Accepted/,
  },
  // Part 5 and 6: the same with bytes that are not UTF-8, against what their lossy decoding reads.
  'fits-invalid-wrong': {
    spec: { source: { inline: writer([[hex(INVALID_UNIT), invalidCount]]) }, tests: [{ name: '1', expectedStdoutFrom: expectedFrom('fits-lossy') }], limits: { memoryMiB: 32, outputBytes: 16 * MiB } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: /,
  },
  // Part 6: FF FE is not two U+FFFD, in any mode.
  'ff-fe-exact': {
    spec: { source: { inline: writer([['fffe', 1]]) }, tests: [{ name: '1', expectedStdout: '\uFFFD\uFFFD' }] },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: /,
  },
  'ff-fe-tokens': {
    spec: { source: { inline: writer([['fffe0a', 1]]) }, tests: [{ name: '1', expectedStdout: '\uFFFD\uFFFD\n' }], compare: { mode: 'tokens' } },
    verdict: 'WrongAnswer',
    message: /^WrongAnswer on test 1: /,
  },
  // The control: U+FFFD U+FFFD written as UTF-8 is what was expected.
  'fffd-utf8-exact': {
    spec: { source: { inline: writer([[hex('\uFFFD\uFFFD'), 1]]) }, tests: [{ name: '1', expectedStdout: '\uFFFD\uFFFD' }] },
    verdict: 'Accepted',
    message: /^Accepted/,
  },
};

const HEAVY = ['huge-blanks-trim', 'huge-digits-float', 'huge-escapes-exact', 'huge-escapes-stderr'];
const CANARY_DURING = 'canary-during';
const CANARY_AFTER = 'canary-after';

describe('hostile output cannot stop the operator, blow up the result or fool the comparison', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-hostile-operator');
  const python = new PathRuntimes(kc, 'python3', suffix);
  const c = new PathRuntimes(kc, 'c', suffix);
  const runtimeOf = (k: Case, path: RunPath): string => (k.language === 'c' ? c : python).name(path);
  let operator: InstalledOperator | undefined;
  let lease: LeaseSeen | undefined;
  let probe: { longestMs: number; failures: string[] } | undefined;
  let results = new Map<string, ObservedCodeRun>();
  const tookMs = new Map<string, number>();
  let afterResults = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    await python.create(4, { outputBytes: 64 * MiB });
    await c.create(1);
    operator = await InstalledOperator.start(kc, { label: 'hostile-operator', env: HOSTILE_OPERATOR_ENV });
    lease = await readLease(kc);
    await ns.create();
    for (const [name, bytes] of Object.entries(CONFIG_MAPS)) {
      await ns.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name }, binaryData: { 'out.gz': gzipSync(bytes).toString('base64') } } });
    }
    const running = new ResponsivenessProbe(operator);
    const submittedAt = new Map<string, number>();
    const submit = async (name: string, spec: Record<string, unknown>): Promise<void> => {
      submittedAt.set(name, Date.now());
      await ns.submit(name, spec);
    };
    try {
      await Promise.all(
        Object.entries(cases).flatMap(([name, k]) =>
          PATHS.map((path) => submit(runName(name, path), { limits: { outputBytes: 16 * MiB }, ...k.spec, runtime: runtimeOf(k, path) })),
        ),
      );
      // Submitted right behind the hostile runs: what other judges' submissions meet meanwhile.
      await Promise.all(PATHS.map((path) => submit(runName(CANARY_DURING, path), { ...CANARY_PYTHON, runtime: python.name(path) })));
      const names = [...submittedAt.keys()];
      const first = await waitAndTime(ns, names, 420_000, operator);
      results = first.results;
      for (const name of names) tookMs.set(name, (first.seenAt.get(name) ?? Date.now()) - (submittedAt.get(name) ?? 0));
      // And right after they all ended.
      const after = PATHS.map((path) => runName(CANARY_AFTER, path));
      await Promise.all(PATHS.map((path) => submit(runName(CANARY_AFTER, path), { ...CANARY_PYTHON, runtime: python.name(path) })));
      const second = await waitAndTime(ns, after, 120_000, operator);
      afterResults = second.results;
      for (const name of after) tookMs.set(name, (second.seenAt.get(name) ?? Date.now()) - (submittedAt.get(name) ?? 0));
    } finally {
      probe = await running.stop();
    }
  }, 720_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await Promise.all([python.delete(), c.delete()]);
    }
  }, 120_000);

  const run = (name: string, path: RunPath): ObservedCodeRun => terminalRun(results, runName(name, path));

  describe.each(PATHS)('on the %s path', (path) => {
    it.each(Object.entries(cases))('%s: judged by the comparison, once, never a SystemError', (name, k) => {
      const judged = run(name, path);
      expect(verdictOf(judged)).toEqual({ phase: 'Completed', verdict: k.verdict, path, attempts: 1, message: expect.stringMatching(k.message) });
      const { status } = judged;
      // The message points at the difference; it never carries the output wholesale.
      expect(Buffer.byteLength(status.message ?? '')).toBeLessThanOrEqual(1024);
      if (k.verdict === 'CompilationError') {
        // The status keeps an excerpt of the compiler's output, and says it is one.
        expect(status.compile).toMatchObject({ exitCode: 1, truncated: true });
        expect(Buffer.byteLength(status.compile?.output ?? '')).toBeLessThanOrEqual(4096);
        expect(status.compile?.output).toMatch(/error: stray .@. in program/);
      } else {
        expect(status.tests?.[0]).toMatchObject({ verdict: k.verdict, exitCode: 0 });
      }
    });

    it('63 MiB of adversarial output is judged within two minutes of its submission', () => {
      const judged = HEAVY.map((name) => ({ name, verdict: run(name, path).status.verdict, inTime: (tookMs.get(runName(name, path)) ?? Infinity) < 120_000 }));
      expect(judged).toEqual(HEAVY.map((name) => ({ name, verdict: cases[name]?.verdict, inTime: true })));
    });

    it('8 MiB of escapes and invalid UTF-8 under a 32 MiB memory limit: the result fits, the status keeps a bounded excerpt', async () => {
      for (const name of ['fits-valid-accepted', 'fits-invalid-wrong']) {
        const { status } = run(name, path);
        expect(status.verdict).not.toBe('MemoryLimitExceeded');
        expect(status.tests?.[0]?.truncated).toBe(true);
        // The program's own memory: far below its limit (the output is not the program's).
        expect(status.tests?.[0]?.memoryKiB ?? Infinity).toBeLessThan(32 * 1024);
        const [stored] = await storedTests(kc, ns.name, runName(name, path));
        if (stored === undefined) throw new Error(`${name}: no test in the stored status`);
        const bytes = storedStdoutBytes(stored);
        expect(bytes.length).toBeGreaterThan(0);
        expect(bytes.length).toBeLessThanOrEqual(4096);
      }
      // The kept excerpt of the valid output is its first bytes, exactly.
      const [valid] = await storedTests(kc, ns.name, runName('fits-valid-accepted', path));
      if (valid === undefined) throw new Error('no stored test');
      const kept = storedStdoutBytes(valid);
      expect(kept.equals(VALID_OUTPUT.subarray(0, kept.length))).toBe(true);
    });

    it('bytes that are not UTF-8 are kept losslessly in the status: FF FE reads back as FF FE (stdoutEncoding base64)', async () => {
      const [stored] = await storedTests(kc, ns.name, runName('ff-fe-exact', path));
      expect(stored).toMatchObject({ stdoutEncoding: 'base64', stdout: Buffer.from([0xff, 0xfe]).toString('base64') });
      if (stored === undefined) throw new Error('no stored test');
      expect([...storedStdoutBytes(stored)]).toEqual([0xff, 0xfe]);
      // Valid UTF-8 stays readable text.
      const [text] = await storedTests(kc, ns.name, runName('fffd-utf8-exact', path));
      expect(text?.stdoutEncoding ?? 'utf8').toBe('utf8');
      expect(text?.stdout).toBe('\uFFFD\uFFFD');
      // The excerpt of output with invalid bytes decodes to the output's own first bytes.
      const [invalid] = await storedTests(kc, ns.name, runName('fits-invalid-wrong', path));
      if (invalid === undefined) throw new Error('no stored test');
      const kept = storedStdoutBytes(invalid);
      const original = Buffer.concat(Array.from({ length: Math.ceil(kept.length / INVALID_UNIT.length) + 1 }, () => INVALID_UNIT));
      expect(kept.toString('hex')).toBe(original.subarray(0, kept.length).toString('hex'));
    });

    it('a normal run submitted along with them is Accepted, once', () => {
      expect(verdictOf(run(CANARY_DURING, path))).toEqual({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1, message: 'Accepted: output matches' });
      expect(tookMs.get(runName(CANARY_DURING, path))).toBeLessThan(90_000);
    });

    it('a normal run submitted right after them finishes quickly', () => {
      expect(verdictOf(terminalRun(afterResults, runName(CANARY_AFTER, path)))).toEqual({ phase: 'Completed', verdict: 'Accepted', path, attempts: 1, message: 'Accepted: output matches' });
      expect(tookMs.get(runName(CANARY_AFTER, path))).toBeLessThan(30_000);
    });
  });

  it('the operator stayed up, kept answering and kept its Lease throughout', async () => {
    operator?.assertRunning();
    const now = await readLease(kc);
    // The Lease is held by a pod of the release (its name is the identity).
    expect(lease?.holder).toMatch(/^coderun-operator-/);
    expect(now).toEqual(lease);
    if (!operator) throw new Error('no operator');
    expect(await leaseLossesInLog(operator)).toEqual([]);
    expect(probe?.failures).toEqual([]);
    // The Lease is renewed every 2 s and lost after 10 s without renewal: judging must never
    // hold the event loop anywhere near that.
    expect(probe?.longestMs).toBeLessThan(3000);
  });
});
