import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { CodeRunSpec, Verdict } from '../../src/crds/coderun.js';
import { SMALL_POOL_REQUESTS, createWarmColdCopies, tearDownWithRuntimes, type PoolRuntime } from './warm-support.js';
import { LANGUAGES, PROGRAMS, type Language } from './language-programs.js';

// Every standard Runtime passes the same verdict suite on both paths. Each language's runs go to a
// copy of its standard Runtime with a warm pool of one pod and to a copy without one: one run of
// seven tests (one per verdict), a compilation error (compiled languages) and a multi-file
// submission. The limits are the Runtime's defaults but for memory (256 MiB, as the issue asks:
// a program that keeps allocating must be MemoryLimitExceeded, never a crash of the JVM or the
// Go runtime), output (64 KiB) and wall time (far above the CPU limit: on the busy 2-core node a
// pool pod requests 10m of CPU, and a JVM or Node.js start there can take seconds of wall time).

const suffix = Math.random().toString(16).slice(2, 8);
const PATHS = ['warm', 'cold'] as const;
type Path = (typeof PATHS)[number];
const runtimeName = (language: Language, path: Path) => `e2e-${path}-${language}-${suffix}`;
const runName = (language: Language, kind: string, path: Path) => `${language}-${kind}-${path}`;

const WALL = { wallTimeMillis: 20000 };
const LIMITS = { ...WALL, memoryMiB: 256, outputBytes: 65536 };

/** The tests of the verdict run: stdin, expected stdout, and the verdict it must get. */
const VERDICT_TESTS: { name: string; stdin: string; expectedStdout?: string; verdict: Verdict }[] = [
  { name: 'accepted', stdin: 'sum 1 2\n', expectedStdout: '3\n', verdict: 'Accepted' },
  { name: 'wrong-answer', stdin: 'sum 1 2\n', expectedStdout: '4\n', verdict: 'WrongAnswer' },
  { name: 'exit-3', stdin: 'exit\n', verdict: 'RuntimeError' },
  { name: 'uncaught-exception', stdin: 'throw\n', verdict: 'RuntimeError' },
  { name: 'cpu-forever', stdin: 'spin\n', verdict: 'TimeLimitExceeded' },
  { name: 'allocate-forever', stdin: 'alloc\n', verdict: 'MemoryLimitExceeded' },
  { name: 'print-forever', stdin: 'flood\n', verdict: 'OutputLimitExceeded' },
];

function runsOf(language: Language): Record<string, Omit<CodeRunSpec, 'runtime'>> {
  const programs = PROGRAMS[language];
  return {
    verdicts: {
      source: { inline: programs.verdicts },
      tests: VERDICT_TESTS.map(({ name, stdin, expectedStdout }) => ({ name, stdin, ...(expectedStdout === undefined ? {} : { expectedStdout }) })),
      limits: LIMITS,
    },
    ...(programs.compileError === undefined ? {} : { 'compile-error': { source: { inline: programs.compileError }, tests: [{ name: '1', stdin: '', expectedStdout: '' }], limits: WALL } }),
    'multi-file': { source: { inline: programs.multiFile.source }, files: programs.multiFile.files, tests: [{ name: '1', stdin: '40 2\n', expectedStdout: '42\n' }], limits: WALL },
  };
}

const ALL = LANGUAGES.flatMap((language) => Object.entries(runsOf(language)).flatMap(([kind, spec]) => PATHS.map((path) => ({ language, kind, path, spec }))));

describe.each(LANGUAGES)('the %s Runtime on both paths', (language) => {
  it.each(PATHS)('%s: each verdict for its reason', (path) => {
    const status = terminalRun(results, runName(language, 'verdicts', path)).status;
    expect(status).toMatchObject({ phase: 'Completed', path, attempts: 1 });
    expect(status.tests?.map((t) => [t.name, t.verdict])).toEqual(VERDICT_TESTS.map((t) => [t.name, t.verdict]));
    const test = (name: string) => status.tests?.find((t) => t.name === name);
    expect(test('accepted')).toMatchObject({ exitCode: 0, stdout: '3\n' });
    expect(test('exit-3')).toMatchObject({ exitCode: 3, stdout: 'partial\n' });
    const thrown = PROGRAMS[language].thrown;
    expect(test('uncaught-exception')).toMatchObject(thrown.signal === undefined ? { exitCode: thrown.exitCode } : { signal: thrown.signal });
    expect(test('uncaught-exception')?.stderr).toMatch(thrown.stderr);
    // Its CPU limit, or (in a pool pod starved of CPU by the rest of the suite) its wall limit.
    expect(test('cpu-forever')?.message).toMatch(/^(CPU|wall) time limit of \d+ ms exceeded/);
    expect(test('allocate-forever')?.message).toMatch(/memory limit of 256 MiB/);
    expect(test('print-forever')).toMatchObject({ truncated: true });
  });

  if (PROGRAMS[language].compileError !== undefined) {
    it.each(PATHS)('%s: a program that does not compile is a CompilationError with the compiler\'s output', (path) => {
      const status = terminalRun(results, runName(language, 'compile-error', path)).status;
      expect(status).toMatchObject({ phase: 'Completed', verdict: 'CompilationError', path });
      expect(status.compile?.exitCode).not.toBe(0);
      expect(status.compile?.output).toMatch(/undefined_?[tT]hing|undefinedThing/);
    });
  }

  it.each(PATHS)('%s: a submission of several files is Accepted', (path) => {
    const status = terminalRun(results, runName(language, 'multi-file', path)).status;
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path });
    expect(status.tests?.[0]?.stdout).toBe('42\n');
  });
});

const kc = testKubeConfig();
const ns = new CodeRunTestNamespace(kc, 'e2e-languages');
/** What beforeAll sets up and afterAll takes down. */
const suite: { operator?: InstalledOperator; runtimes: PoolRuntime[] } = { runtimes: [] };
const results = new Map<string, ObservedCodeRun>();

beforeAll(async () => {
  await ensureInstalled(kc);
  suite.runtimes = await createWarmColdCopies(
    kc,
    LANGUAGES.map((standard) => ({ standard, warm: runtimeName(standard, 'warm'), cold: runtimeName(standard, 'cold') })),
    { replicas: 1, resources: SMALL_POOL_REQUESTS },
  );
  // Warm runs wait for their pool's pod (one per language, replaced after each run) instead of
  // going cold: every warm case must really run warm.
  const operator = await InstalledOperator.start(kc, { label: 'languages', env: { CODERUN_WARM_WAIT_MS: '300000' } });
  suite.operator = operator;
  await ns.create();
  await Promise.all(ALL.map((r) => ns.submit(runName(r.language, r.kind, r.path), { ...r.spec, runtime: runtimeName(r.language, r.path) })));
  const names = ALL.map((r) => runName(r.language, r.kind, r.path));
  for (const [name, run] of await ns.waitForTerminal(names, 600_000, () => operator.assertRunning())) results.set(name, run);
}, 900_000);

afterAll(() => tearDownWithRuntimes(ns, suite.operator, suite.runtimes), 120_000);
