import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, nodeAddress, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { CodeRunSpec, Verdict } from '../../src/crds/coderun.js';
import { PoolRuntime, SMALL_POOL_REQUESTS, createWarmColdCopies, tearDownWithRuntimes, verdictEssentials } from './warm-support.js';

// The same programs on both paths: each case runs once on a Runtime with a warm pool and once on
// an identical Runtime without one. Per-run limits inside a pool pod (sized for the Runtime's max)
// must hold exactly as in a cold pod sized for the run: same verdict, same exit code or signal.

const suffix = Math.random().toString(16).slice(2, 8);
const RUNTIMES = {
  python3: { warm: `e2e-warm-py-${suffix}`, cold: `e2e-cold-py-${suffix}` },
  c: { warm: `e2e-warm-c-${suffix}`, cold: `e2e-cold-c-${suffix}` },
} as const;
const POOL = 3;

interface Case {
  language: keyof typeof RUNTIMES;
  spec: Omit<CodeRunSpec, 'runtime'>;
  verdict: Verdict;
}

const cases: Record<string, Case> = {
  'accepted-python': {
    language: 'python3',
    spec: { source: { inline: 'a, b = map(int, input().split())\nprint(a + b)\n' }, tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }] },
    verdict: 'Accepted',
  },
  'wrong-answer-python': {
    language: 'python3',
    spec: { source: { inline: 'a, b = map(int, input().split())\nprint(a - b)\n' }, tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }] },
    verdict: 'WrongAnswer',
  },
  'runtime-error-exit-3-python': { language: 'python3', spec: { source: { inline: 'import sys\nprint("partial")\nsys.exit(3)\n' } }, verdict: 'RuntimeError' },
  'tle-wall-python': {
    language: 'python3',
    spec: { source: { inline: 'import time\ntime.sleep(20)\n' }, limits: { cpuTimeMillis: 2000, wallTimeMillis: 1000 } },
    verdict: 'TimeLimitExceeded',
  },
  'ole-python': {
    language: 'python3',
    spec: { source: { inline: 'line = "y" * 99\nwhile True:\n    print(line)\n' }, limits: { outputBytes: 65536, wallTimeMillis: 5000 } },
    verdict: 'OutputLimitExceeded',
  },
  'processes-python': {
    language: 'python3',
    spec: { source: { inline: 'import os, time\nfor _ in range(50):\n    if os.fork() == 0:\n        time.sleep(5)\n        os._exit(0)\nprint("forked")\n' }, limits: { processes: 8 } },
    verdict: 'RuntimeError',
  },
  'network-refused-python': {
    language: 'python3',
    spec: { source: { inline: `import socket\nsocket.create_connection(("${nodeAddress()}", 6443), timeout=2)\nprint("connected")\n` } },
    verdict: 'RuntimeError',
  },
  'accepted-c': {
    language: 'c',
    spec: { source: { inline: '#include <stdio.h>\nint main(void) { long a, b; scanf("%ld %ld", &a, &b); printf("%ld\\n", a + b); return 0; }\n' }, tests: [{ name: '1', stdin: '2 3\n', expectedStdout: '5\n' }] },
    verdict: 'Accepted',
  },
  'segfault-c': {
    language: 'c',
    spec: { source: { inline: '#include <stdio.h>\nint main(void) { volatile int *volatile p = 0; puts("before"); fflush(stdout); *p = 42; return 0; }\n' } },
    verdict: 'RuntimeError',
  },
  'tle-cpu-c': {
    language: 'c',
    spec: { source: { inline: 'int main(void) { volatile unsigned long x = 0; for (;;) x++; }\n' }, limits: { cpuTimeMillis: 500, wallTimeMillis: 20000 } },
    verdict: 'TimeLimitExceeded',
  },
  'mle-c': {
    language: 'c',
    spec: {
      source: {
        inline:
          '#include <stdlib.h>\n#include <stdio.h>\nint main(void) {\n  size_t size = (size_t)1 << 30;\n  volatile char *p = malloc(size);\n  if (!p) { puts("malloc failed"); return 1; }\n  for (size_t i = 0; i < size; i += 4096) p[i] = 1;\n  puts("touched 1 GiB");\n  return 0;\n}\n',
      },
      limits: { memoryMiB: 256, wallTimeMillis: 10000, cpuTimeMillis: 5000 },
    },
    verdict: 'MemoryLimitExceeded',
  },
};

const runName = (name: string, path: 'warm' | 'cold') => `${name}-${path}`;

describe('the same verdicts on the warm and the cold path', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-verdicts');
  let operator: InstalledOperator | undefined;
  let runtimes: PoolRuntime[] = [];
  let results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    runtimes = await createWarmColdCopies(
      kc,
      Object.entries(RUNTIMES).map(([standard, names]) => ({ standard, ...names })),
      { replicas: POOL, resources: SMALL_POOL_REQUESTS },
    );
    // Runs wait for a pool pod (up to 2 minutes) instead of falling back to cold: every warm
    // case must really run warm, even with more cases than pool pods.
    operator = await InstalledOperator.start(kc, { label: 'warm-verdicts', env: { CODERUN_WARM_WAIT_MS: '120000' } });
    await ns.create();
    const submissions = Object.entries(cases).flatMap(([name, c]) =>
      (['warm', 'cold'] as const).map((path) => ns.submit(runName(name, path), { ...c.spec, runtime: RUNTIMES[c.language][path] })),
    );
    await Promise.all(submissions);
    results = await ns.waitForTerminal(
      Object.keys(cases).flatMap((name) => [runName(name, 'warm'), runName(name, 'cold')]),
      300_000,
      () => operator?.assertRunning(),
    );
  }, 480_000);

  afterAll(() => tearDownWithRuntimes(ns, operator, runtimes), 120_000);

  it.each(Object.entries(cases))('%s: the warm run gets the cold run\'s verdict', (name, c) => {
    const warm = terminalRun(results, runName(name, 'warm')).status;
    const cold = terminalRun(results, runName(name, 'cold')).status;
    expect(warm).toMatchObject({ phase: 'Completed', verdict: c.verdict, path: 'warm', attempts: 1 });
    expect(cold).toMatchObject({ phase: 'Completed', verdict: c.verdict, path: 'cold', attempts: 1 });
    expect(verdictEssentials(warm)).toEqual(verdictEssentials(cold));
    expect(warm.podName).toMatch(new RegExp(`^pool-${RUNTIMES[c.language].warm}-`));
  });

  it('limits held for the reason the verdict names', () => {
    const warm = (name: string) => terminalRun(results, runName(name, 'warm')).status;
    expect(warm('runtime-error-exit-3-python').tests?.[0]).toMatchObject({ exitCode: 3, stdout: 'partial\n' });
    expect(warm('segfault-c').tests?.[0]).toMatchObject({ signal: 11, stdout: 'before\n' });
    expect(warm('tle-cpu-c').cpuTimeMillis).toBeGreaterThanOrEqual(500);
    expect(warm('tle-wall-python').wallTimeMillis).toBeGreaterThanOrEqual(1000);
    expect(warm('ole-python').tests?.[0]).toMatchObject({ truncated: true });
    expect(warm('network-refused-python').tests?.[0]?.stderr).toMatch(/PermissionError|Operation not permitted/);
  });

  it('the process limit is exact in a pool pod: the runner stops the program at its 8 tasks, as in a cold pod', () => {
    for (const path of ['warm', 'cold'] as const) {
      const test = terminalRun(results, runName('processes-python', path)).status.tests?.[0];
      expect(test?.message).toContain('process limit of 8');
      expect(test?.stdout).not.toContain('forked');
    }
  });

  it('every warm run deleted its pool pod; no claimed pod is left', async () => {
    await ns.expectNoSandboxObjectsLeft(60_000);
    for (const r of runtimes) expect((await r.pods()).filter((p) => p.metadata?.labels?.['coderun.dev/pool-state'] === 'claimed')).toEqual([]);
  });
});
