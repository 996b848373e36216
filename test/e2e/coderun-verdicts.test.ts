import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator } from '../support/installed-operator.js';
import type { CodeRunSpec } from '../../src/crds/coderun.js';

// Every verdict of the table, each reached by a real program in a real sandbox pod for the right
// reason, checked in the CodeRun status as a judge backend reads it. The runs are independent, so
// they are submitted together and judged in parallel.

const APLUSB_TESTS = [
  { name: '1', stdin: '1 2\n', expectedStdout: '3\n' },
  { name: '2', stdin: '-5 12\n', expectedStdout: '7\n' },
];

/** Doubles its input, but gets 3 wrong: of three tests the middle one fails. */
const DOUBLER: CodeRunSpec = {
  runtime: 'python3',
  source: { inline: 'n = int(input())\nprint(n * 2 if n != 3 else 0)\n' },
  tests: [
    { name: 'passes', stdin: '2\n', expectedStdout: '4\n' },
    { name: 'fails', stdin: '3\n', expectedStdout: '6\n' },
    { name: 'after', stdin: '5\n', expectedStdout: '10\n' },
  ],
};

const runs: Record<string, CodeRunSpec> = {
  'accepted-python': {
    runtime: 'python3',
    source: { inline: 'a, b = map(int, input().split())\nprint(a + b)\n' },
    tests: APLUSB_TESTS,
  },
  'accepted-cpp': {
    runtime: 'cpp',
    source: { inline: '#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << "\\n"; }\n' },
    tests: APLUSB_TESTS,
  },
  'wrong-answer-python': {
    runtime: 'python3',
    source: { inline: 'a, b = map(int, input().split())\nprint(a - b)\n' },
    tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }],
  },
  'compilation-error-cpp': {
    runtime: 'cpp',
    source: { inline: 'int main() { return undeclared_thing; }\n' },
    tests: [{ name: '1', stdin: '', expectedStdout: '' }],
  },
  'runtime-error-exit-3-python': {
    runtime: 'python3',
    source: { inline: 'import sys\nprint("partial")\nsys.exit(3)\n' },
  },
  'runtime-error-segfault-c': {
    runtime: 'c',
    // Volatile both ways: gcc -O2 can neither see that p is null (and emit a trap) nor drop the store.
    source: { inline: '#include <stdio.h>\nint main(void) { volatile int *volatile p = 0; puts("before"); fflush(stdout); *p = 42; return 0; }\n' },
  },
  'tle-cpu-c': {
    runtime: 'c',
    source: { inline: 'int main(void) { volatile unsigned long x = 0; for (;;) x++; }\n' },
    // A wall limit far above: on a busy 2-core node 500 ms of CPU may take seconds of wall time.
    limits: { cpuTimeMillis: 500, wallTimeMillis: 20000 },
  },
  'tle-wall-python': {
    runtime: 'python3',
    source: { inline: 'import time\ntime.sleep(20)\n' },
    limits: { cpuTimeMillis: 2000, wallTimeMillis: 1000 },
  },
  'mle-c': {
    runtime: 'c',
    source: {
      inline: [
        '#include <stdlib.h>',
        '#include <stdio.h>',
        'int main(void) {',
        '  size_t size = (size_t)1 << 30;',
        // Volatile: gcc -O2 would otherwise drop the malloc and the writes altogether.
        '  volatile char *p = malloc(size);',
        '  if (!p) { puts("malloc failed"); return 1; }',
        '  for (size_t i = 0; i < size; i += 4096) p[i] = 1;',
        '  puts("touched 1 GiB");',
        '  return 0;',
        '}',
        '',
      ].join('\n'),
    },
    limits: { memoryMiB: 256, wallTimeMillis: 10000, cpuTimeMillis: 5000 },
  },
  'ole-python': {
    runtime: 'python3',
    source: { inline: 'line = "y" * 99\nwhile True:\n    print(line)\n' },
    limits: { outputBytes: 65536, wallTimeMillis: 5000 },
  },
  'multi-test-stop-python': { ...DOUBLER, stopOnFirstFailure: true },
  'multi-test-all-python': DOUBLER,
};

describe('CodeRun verdicts on the local cluster', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-verdicts');
  let operator: InstalledOperator | undefined;
  let results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    operator = await InstalledOperator.start(kc, { label: 'verdicts' });
    await ns.create();
    await Promise.all(Object.entries(runs).map(([name, spec]) => ns.submit(name, spec)));
    results = await ns.waitForTerminal(Object.keys(runs), 240_000, () => operator?.assertRunning());
  }, 450_000);

  afterAll(async () => {
    await tearDown(ns, operator);
  }, 90_000);

  const result = (name: string): ObservedCodeRun => terminalRun(results, name);

  it('Accepted: a python A+B passes both tests, with measurements', () => {
    const { status } = result('accepted-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted', path: 'cold', attempts: 1 });
    expect(status.tests?.map((t) => [t.name, t.verdict, t.exitCode, t.stdout])).toEqual([
      ['1', 'Accepted', 0, '3\n'],
      ['2', 'Accepted', 0, '7\n'],
    ]);
    expect(status.memoryKiB).toBeGreaterThan(1000);
    expect(status.wallTimeMillis).toBeGreaterThan(0);
    expect(status.conditions?.find((c) => c.type === 'Valid')?.status).toBe('True');
    expect(Date.parse(status.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(status.startedAt ?? ''));
  });

  it('Accepted: a C++ A+B compiled with g++ passes both tests', () => {
    const { status } = result('accepted-cpp');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
    expect(status.compile?.exitCode).toBe(0);
    expect(status.tests?.map((t) => t.verdict)).toEqual(['Accepted', 'Accepted']);
  });

  it('WrongAnswer: exit 0 with a different output, the output in status', () => {
    const { status } = result('wrong-answer-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
    expect(status.tests?.[0]).toMatchObject({ verdict: 'WrongAnswer', exitCode: 0, stdout: '-1\n' });
  });

  it("CompilationError: g++'s message is in status.compile.output and no test ran", () => {
    const { status } = result('compilation-error-cpp');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'CompilationError' });
    expect(status.compile?.exitCode).not.toBe(0);
    expect(status.compile?.output).toMatch(/main\.cpp:1:\d+: error: .undeclared_thing. was not declared in this scope/);
    expect(status.message).toMatch(/compilation failed with exit code 1/);
    expect(status.tests ?? []).toEqual([]);
  });

  it('RuntimeError: exit code 3 is recorded, output before it kept', () => {
    const { status } = result('runtime-error-exit-3-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'RuntimeError' });
    expect(status.tests?.[0]).toMatchObject({ verdict: 'RuntimeError', exitCode: 3, stdout: 'partial\n' });
    expect(status.tests?.[0]?.signal).toBeUndefined();
    expect(status.message).toMatch(/exit code 3/);
  });

  it('RuntimeError: a segfault is recorded as signal 11', () => {
    const { status } = result('runtime-error-segfault-c');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'RuntimeError' });
    expect(status.tests?.[0]).toMatchObject({ verdict: 'RuntimeError', signal: 11, stdout: 'before\n' });
    expect(status.message).toMatch(/signal 11 \(SIGSEGV\)/);
  });

  it('TimeLimitExceeded by CPU: a busy loop is stopped at its CPU limit', () => {
    const { status } = result('tle-cpu-c');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'TimeLimitExceeded' });
    expect(status.message).toMatch(/CPU time limit of 500 ms/);
    const test = status.tests?.[0];
    expect(test?.cpuTimeMillis).toBeGreaterThanOrEqual(500);
    // Stopped for CPU, long before the 20 s wall limit.
    expect(test?.wallTimeMillis).toBeLessThan(15000);
  });

  it('TimeLimitExceeded by wall time: a sleeping program is stopped at its wall limit', () => {
    const { status } = result('tle-wall-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'TimeLimitExceeded' });
    expect(status.message).toMatch(/wall time limit of 1000 ms/);
    const test = status.tests?.[0];
    expect(test?.wallTimeMillis).toBeGreaterThanOrEqual(1000);
    expect(test?.wallTimeMillis).toBeLessThan(5000);
    expect(test?.cpuTimeMillis).toBeLessThan(500);
  });

  it('MemoryLimitExceeded: touching 1 GiB under a 256 MiB limit', () => {
    const { status } = result('mle-c');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'MemoryLimitExceeded' });
    expect(status.message).toMatch(/memory limit of 256 MiB/);
    const test = status.tests?.[0];
    // Stopped on the way: it never got to touch all of it, and its peak is measured past the limit.
    expect(test?.stdout).not.toMatch(/touched/);
    expect(test?.memoryKiB).toBeGreaterThan(256 * 1024);
  });

  it('OutputLimitExceeded: printing forever is stopped at the output limit', () => {
    const { status } = result('ole-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'OutputLimitExceeded' });
    expect(status.message).toMatch(/output limit of 65536 bytes/);
    expect(status.tests?.[0]).toMatchObject({ verdict: 'OutputLimitExceeded', truncated: true });
    // The status keeps only the configured slice of the output (4096 bytes by default).
    expect(Buffer.byteLength(status.tests?.[0]?.stdout ?? '')).toBeLessThanOrEqual(4096);
  });

  it('multiple tests with stopOnFirstFailure: per-test verdicts, the rest Skipped', () => {
    const { status } = result('multi-test-stop-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
    expect(status.tests?.map((t) => [t.name, t.verdict])).toEqual([
      ['passes', 'Accepted'],
      ['fails', 'WrongAnswer'],
      ['after', 'Skipped'],
    ]);
    expect(status.tests?.[1]).toMatchObject({ exitCode: 0, stdout: '0\n' });
  });

  it('multiple tests without stopOnFirstFailure: every test judged', () => {
    const { status } = result('multi-test-all-python');
    expect(status).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
    expect(status.tests?.map((t) => [t.name, t.verdict, t.stdout])).toEqual([
      ['passes', 'Accepted', '4\n'],
      ['fails', 'WrongAnswer', '0\n'],
      ['after', 'Accepted', '10\n'],
    ]);
  });

  it('every run cleaned up its sandbox pod and ConfigMap', async () => {
    // Deleted right after each terminal status is written; give the last deletes a moment.
    await ns.expectNoSandboxObjectsLeft();
  }, 30_000);
});
