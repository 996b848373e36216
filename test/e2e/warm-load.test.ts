import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { eventually } from '../support/eventually.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { CodeRunSpec, Verdict } from '../../src/crds/coderun.js';
import { PoolRuntime, SMALL_POOL_REQUESTS, verdictEssentials } from './warm-support.js';

// The warm path under a realistic load, as a new user meets it: pools of 20 python3, 15 c and 15
// cpp pods, then 44 ordinary judge cases created at once across them (C++ with templates and the
// standard library among them). Every verdict, exit code and signal must be the one the same case
// gets on the cold path, and every warm run must really have run warm. The pool pods of a
// Runtime run side by side, so a limit that depended on other pods (a per-uid process count)
// would show here as a fork refused to the compiler or to a program inside its limit.

const suffix = Math.random().toString(16).slice(2, 8);
const POOLS = { python3: 20, c: 15, cpp: 15 } as const;
type Language = keyof typeof POOLS;

interface Case {
  language: Language;
  spec: Omit<CodeRunSpec, 'runtime'>;
  verdict: Verdict;
}

const sum = (a: number, b: number) => ({ name: `${a}+${b}`, stdin: `${a} ${b}\n`, expectedStdout: `${a + b}\n` });

const C_SUM = '#include <stdio.h>\nint main(void) { long a, b; if (scanf("%ld %ld", &a, &b) != 2) return 2; printf("%ld\\n", a + b); return 0; }\n';
// Forks `n` children that all live at once, then reaps them: inside a limit of n + 1 tasks.
const cForks = (n: number) =>
  `#include <stdio.h>\n#include <unistd.h>\n#include <sys/wait.h>\nint main(void) {\n  for (int i = 0; i < ${n}; i++) {\n    pid_t p = fork();\n    if (p < 0) { perror("fork"); return 1; }\n    if (p == 0) { usleep(300000); _exit(0); }\n  }\n  while (wait(NULL) > 0) {}\n  puts("all children ran");\n  return 0;\n}\n`;
const CPP_TEMPLATES = `#include <bits/stdc++.h>
using namespace std;
template <typename K, typename V> map<V, vector<K>> invert(const map<K, V>& m) {
  map<V, vector<K>> out;
  for (const auto& [k, v] : m) out[v].push_back(k);
  return out;
}
int main() {
  long n; cin >> n;
  map<long, long> squares;
  for (long i = 1; i <= n; i++) squares[i] = (i * i) % 7;
  auto inverted = invert(squares);
  set<long> keys;
  for (auto& [v, ks] : inverted) keys.insert(v);
  ostringstream os;
  for (long k : keys) os << k << ':' << inverted[k].size() << ' ';
  string s = os.str();
  s.pop_back();
  cout << s << '\\n';
  return 0;
}
`;
// (i*i) % 7 over i = 1..14 hits 0,1,2,4 with counts 2,4,4,4.
const CPP_TEMPLATES_OUT = '0:2 1:4 2:4 4:4\n';

// CPU-time limits get a generous wall limit: an idle pool pod requests 10m of CPU, so under this
// load's contention a claimed pod gets less CPU per second than a cold pod (README, Warm pools),
// and a busy loop must still reach its CPU limit before the wall limit.
const cases: Record<string, Case> = {};
for (let i = 0; i < 8; i++) {
  cases[`py-sum-${i}`] = { language: 'python3', spec: { source: { inline: 'a, b = map(int, input().split())\nprint(a + b)\n' }, tests: [sum(i, 10 * i + 1)] }, verdict: 'Accepted' };
}
Object.assign(cases, {
  'py-sort': {
    language: 'python3',
    spec: { source: { inline: 'import sys\nxs = sorted(map(int, sys.stdin.read().split()))\nprint(*xs)\n' }, tests: [{ name: '1', stdin: '5 3 9 1\n', expectedStdout: '1 3 5 9\n' }] },
    verdict: 'Accepted',
  },
  'py-wrong-0': { language: 'python3', spec: { source: { inline: 'print(42)\n' }, tests: [sum(1, 2)] }, verdict: 'WrongAnswer' },
  'py-wrong-1': { language: 'python3', spec: { source: { inline: 'a, b = map(int, input().split())\nprint(a * b)\n' }, tests: [sum(3, 4)] }, verdict: 'WrongAnswer' },
  'py-exit-3': { language: 'python3', spec: { source: { inline: 'import sys\nprint("partial")\nsys.exit(3)\n' } }, verdict: 'RuntimeError' },
  'py-exception': { language: 'python3', spec: { source: { inline: 'int("not a number")\n' } }, verdict: 'RuntimeError' },
  'py-tle': { language: 'python3', spec: { source: { inline: 'while True:\n    pass\n' }, limits: { cpuTimeMillis: 500, wallTimeMillis: 20000 } }, verdict: 'TimeLimitExceeded' },
  'py-forks-inside-limit': {
    language: 'python3',
    spec: { source: { inline: 'import os, time\nfor _ in range(7):\n    if os.fork() == 0:\n        time.sleep(0.3)\n        os._exit(0)\nfor _ in range(7):\n    os.wait()\nprint("ok")\n' }, limits: { processes: 8 } },
    verdict: 'Accepted',
  },
  'py-forks-over-limit': {
    language: 'python3',
    spec: { source: { inline: 'import os, time\nfor _ in range(50):\n    if os.fork() == 0:\n        time.sleep(5)\n        os._exit(0)\nprint("forked")\n' }, limits: { processes: 8 } },
    verdict: 'RuntimeError',
  },
});
for (let i = 0; i < 5; i++) cases[`c-sum-${i}`] = { language: 'c', spec: { source: { inline: C_SUM }, tests: [sum(100 + i, 7)] }, verdict: 'Accepted' };
Object.assign(cases, {
  'c-wrong': { language: 'c', spec: { source: { inline: C_SUM.replace('a + b', 'a - b') }, tests: [sum(5, 2)] }, verdict: 'WrongAnswer' },
  'c-compile-error-0': { language: 'c', spec: { source: { inline: 'int main(void) { return undefined_name; }\n' } }, verdict: 'CompilationError' },
  'c-compile-error-1': { language: 'c', spec: { source: { inline: 'int main(void) { int x = ; }\n' } }, verdict: 'CompilationError' },
  'c-segfault': { language: 'c', spec: { source: { inline: 'int main(void) { volatile int *volatile p = 0; *p = 1; return 0; }\n' } }, verdict: 'RuntimeError' },
  'c-exit-7': { language: 'c', spec: { source: { inline: '#include <stdlib.h>\nint main(void) { exit(7); }\n' } }, verdict: 'RuntimeError' },
  'c-tle': { language: 'c', spec: { source: { inline: 'int main(void) { volatile unsigned long x = 0; for (;;) x++; }\n' }, limits: { cpuTimeMillis: 400, wallTimeMillis: 20000 } }, verdict: 'TimeLimitExceeded' },
  'c-forks-inside-limit-0': { language: 'c', spec: { source: { inline: cForks(9) }, limits: { processes: 10 } }, verdict: 'Accepted' },
  'c-forks-inside-limit-1': { language: 'c', spec: { source: { inline: cForks(15) }, limits: { processes: 16 } }, verdict: 'Accepted' },
});
for (let i = 0; i < 6; i++) {
  cases[`cpp-templates-${i}`] = { language: 'cpp', spec: { source: { inline: CPP_TEMPLATES }, tests: [{ name: '1', stdin: '14\n', expectedStdout: CPP_TEMPLATES_OUT }] }, verdict: 'Accepted' };
}
Object.assign(cases, {
  'cpp-wrong': { language: 'cpp', spec: { source: { inline: CPP_TEMPLATES }, tests: [{ name: '1', stdin: '14\n', expectedStdout: '0:2 1:4\n' }] }, verdict: 'WrongAnswer' },
  'cpp-template-error': {
    language: 'cpp',
    spec: { source: { inline: '#include <vector>\n#include <map>\nint main() { std::map<std::vector<int>, int> m; m[std::vector<int>{1}] = std::string("x"); }\n' } },
    verdict: 'CompilationError',
  },
  'cpp-syntax-error': { language: 'cpp', spec: { source: { inline: 'int main() { return 0 }\n' } }, verdict: 'CompilationError' },
  'cpp-abort': { language: 'cpp', spec: { source: { inline: '#include <cstdlib>\nint main() { std::abort(); }\n' } }, verdict: 'RuntimeError' },
  'cpp-uncaught': { language: 'cpp', spec: { source: { inline: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }\n' } }, verdict: 'RuntimeError' },
  'cpp-tle': { language: 'cpp', spec: { source: { inline: 'int main() { volatile unsigned long x = 0; for (;;) x++; }\n' }, limits: { cpuTimeMillis: 400, wallTimeMillis: 20000 } }, verdict: 'TimeLimitExceeded' },
  'cpp-exit-5': { language: 'cpp', spec: { source: { inline: 'int main() { return 5; }\n' } }, verdict: 'RuntimeError' },
  'cpp-vector-big': {
    language: 'cpp',
    spec: { source: { inline: '#include <bits/stdc++.h>\nint main() { std::vector<long> v(1 << 22); std::iota(v.begin(), v.end(), 0L); std::cout << std::accumulate(v.begin(), v.end(), 0L) << "\\n"; }\n' }, tests: [{ name: '1', stdin: '', expectedStdout: `${((1 << 22) * ((1 << 22) - 1)) / 2}\n` }] },
    verdict: 'Accepted',
  },
});

const warmRuntime = (language: Language) => `e2e-load-${language}-${suffix}`;
const runName = (name: string, path: 'warm' | 'cold') => `${name}-${path}`;
const names = Object.keys(cases);
/** Cold pods are sized for a compiler's 1 GiB: a few at a time fit on the node. */
const COLD_BATCH = 15;

describe('the warm path under a realistic load: same verdicts as cold', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-warm-load');
  let operator: InstalledOperator | undefined;
  const pools = (Object.keys(POOLS) as Language[]).map((language) => ({ language, runtime: new PoolRuntime(kc, warmRuntime(language)) }));
  const results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    for (const { language, runtime } of pools) await runtime.createFrom(language, { replicas: POOLS[language], resources: SMALL_POOL_REQUESTS });
    operator = await InstalledOperator.start(kc, { label: 'warm-load' });
    await ns.create();
    await eventually(
      'every pool to be full, ready and idle',
      async () => {
        const statuses = await Promise.all(pools.map(async ({ language, runtime }) => ({ want: POOLS[language], pool: (await runtime.status())?.pool })));
        return statuses.every(({ want, pool }) => pool?.ready === want && pool.idle === want);
      },
      240_000,
    );
    await Promise.all(names.map((name) => ns.submit(runName(name, 'warm'), { ...cases[name]!.spec, runtime: warmRuntime(cases[name]!.language) })));
    const warm = await ns.waitForTerminal(names.map((n) => runName(n, 'warm')), 300_000, () => operator?.assertRunning());
    for (const [k, v] of warm) results.set(k, v);
    for (let i = 0; i < names.length; i += COLD_BATCH) {
      const batch = names.slice(i, i + COLD_BATCH);
      await Promise.all(batch.map((name) => ns.submit(runName(name, 'cold'), { ...cases[name]!.spec, runtime: cases[name]!.language })));
      const cold = await ns.waitForTerminal(batch.map((n) => runName(n, 'cold')), 300_000, () => operator?.assertRunning());
      for (const [k, v] of cold) results.set(k, v);
    }
  }, 1_200_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await Promise.all(pools.map(({ runtime }) => runtime.delete()));
    }
  }, 180_000);

  it('has at least 40 cases, compiled ones included, each pool big enough to serve them all warm', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const language of Object.keys(POOLS) as Language[]) {
      const count = names.filter((n) => cases[n]!.language === language).length;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(POOLS[language]);
    }
  });

  it.each(names)('%s: warm (in a full pool) gets the verdict, exit code and signal of cold', (name) => {
    const c = cases[name]!;
    const warm = terminalRun(results, runName(name, 'warm')).status;
    const cold = terminalRun(results, runName(name, 'cold')).status;
    expect({ verdict: warm.verdict, message: warm.verdict === c.verdict ? undefined : warm.message }).toEqual({ verdict: c.verdict, message: undefined });
    expect(warm).toMatchObject({ phase: 'Completed', path: 'warm', attempts: 1 });
    expect(cold).toMatchObject({ phase: 'Completed', verdict: c.verdict, path: 'cold', attempts: 1 });
    expect(verdictEssentials(warm)).toEqual(verdictEssentials(cold));
  });

  it('a compiled program inside its process limit is never refused a fork by the pool around it', () => {
    for (const name of ['c-forks-inside-limit-0', 'c-forks-inside-limit-1', 'py-forks-inside-limit']) {
      const test = terminalRun(results, runName(name, 'warm')).status.tests?.[0];
      expect(test).toMatchObject({ verdict: 'Accepted', exitCode: 0 });
      expect(test?.stdout).toMatch(/all children ran|ok/);
    }
  });

  it('the process limit is exact in a pool pod: the runner stops the program at its limit', () => {
    const test = terminalRun(results, runName('py-forks-over-limit', 'warm')).status.tests?.[0];
    expect(test?.message).toContain('process limit of 8');
    expect(test?.stdout).not.toContain('forked');
  });

  it('a compile error in a pool pod is the program\'s, with the compiler\'s own message', () => {
    const status = terminalRun(results, runName('cpp-template-error', 'warm')).status;
    expect(status.compile?.output).toMatch(/error/);
    expect(status.compile?.output).not.toMatch(/Resource temporarily unavailable|cannot execute/);
  });

  it('every run deleted its pods; no claimed pool pod is left', async () => {
    await ns.expectNoSandboxObjectsLeft(120_000);
    for (const { runtime } of pools) expect((await runtime.pods()).filter((p) => p.metadata?.labels?.['coderun.dev/pool-state'] === 'claimed')).toEqual([]);
  }, 150_000);
});
