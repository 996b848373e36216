import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { CodeRunSpec, CodeRunStatus } from '../../src/crds/coderun.js';
import { PathRuntimes, RUN_PATHS, pathRunName, type RunPath } from './warm-support.js';

// Judging like a contest, on both paths: subtasks and test points, checkers (testlib's
// protocol, partial points, a checker that fails or does not compile, a program that goes
// after the checker and the answers), interactive problems (a guessing game: solved, failed,
// a program that never answers, an interactor that crashes, a program that tries to steal the secret). Each case runs on a Runtime with a warm pool and on an
// identical one without; the checker uses the program's Runtime (same image, same pod).

const ROOT = resolve(import.meta.dirname, '../..');
const suffix = Math.random().toString(16).slice(2, 8);
const RUNTIMES = {
  python3: { warm: `e2e-judge-warm-py-${suffix}`, cold: `e2e-judge-cold-py-${suffix}` },
  c: { warm: `e2e-judge-warm-c-${suffix}`, cold: `e2e-judge-cold-c-${suffix}` },
} as const;
type Language = keyof typeof RUNTIMES;

const PERMUTATION_CHECKER = `import sys
out, ans = (open(p).read().split() for p in sys.argv[2:4])
if sorted(out) == sorted(ans):
    print("ok a permutation of the answer", file=sys.stderr)
    sys.exit(0)
print("wrong answer:", " ".join(out), "is not a permutation of", " ".join(ans), file=sys.stderr)
sys.exit(1)
`;

const PARTIAL_CHECKER = `import sys
out, ans = (open(p).read().split() for p in sys.argv[2:4])
right = sum(1 for a, b in zip(out, ans) if a == b)
if right == len(ans):
    sys.exit(0)
print(f"points {right / len(ans)}", file=sys.stderr)
print(f"{right} of {len(ans)} answers right", file=sys.stderr)
sys.exit(7)
`;

// testlib.h is not at hand: a header of our own with the same protocol and calls.
const TESTLIB_H = `#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3, _points = 7 };
static FILE *inf, *ouf, *ans;
static void quitf(enum TResult r, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); vfprintf(stderr, fmt, ap); va_end(ap); fputc('\\n', stderr); exit(r);
}
static void registerTestlibCmd(int argc, char **argv) {
  if (argc < 4) quitf(_fail, "usage: checker input output answer");
  inf = fopen(argv[1], "r"); ouf = fopen(argv[2], "r"); ans = fopen(argv[3], "r");
  if (!inf || !ouf || !ans) quitf(_fail, "cannot open the input, output or answer");
}
`;

// Accepts a sum off by at most one: only a checker can accept what the comparison would not.
const TOLERANT_CHECKER_C = `#include "testlib.h"
int main(int argc, char **argv) {
  registerTestlibCmd(argc, argv);
  long want, got;
  if (fscanf(ans, "%ld", &want) != 1) quitf(_fail, "the answer holds no number");
  if (fscanf(ouf, "%ld", &got) != 1) quitf(_pe, "the output holds no number");
  if (got < want - 1 || got > want + 1) quitf(_wa, "expected %ld give or take 1, found %ld", want, got);
  quitf(_ok, "%ld is close enough to %ld", got, want);
}
`;

const SUM_OFF_BY_ONE_C = '#include <stdio.h>\nint main(void) { long a, b; scanf("%ld %ld", &a, &b); printf("%ld\\n", a + b + 1); return 0; }\n';

// Goes after the checker's files and every answer while it runs: it must find neither.
const PRYING_PROGRAM = `import glob, os
checkers = glob.glob("/tmp/coderun-check*")
for d in checkers:
    try:
        open(os.path.join(d, "main.py"), "w").write("import sys\\nsys.exit(0)\\n")
    except OSError:
        pass
marker = "SEC" + "RET-"
hits = []
for root in ("/tmp", os.getcwd()):
    for p in glob.glob(root + "/**", recursive=True):
        try:
            if os.path.isfile(p) and marker in open(p, errors="ignore").read():
                hits.append(p)
        except OSError:
            pass
print("checkers", checkers, "answers", hits)
`;

// The answer's first line is the output wanted; its second, a secret the program must not find.
const FIRST_LINE_CHECKER = `import sys
out, ans = (open(p).read() for p in sys.argv[2:4])
if out == ans.splitlines(True)[0]:
    print("ok", file=sys.stderr)
    sys.exit(0)
print("wrong answer: got", repr(out), file=sys.stderr)
sys.exit(1)
`;

// An interactive guessing game: the secret is the test's input (the interactor's first
// argument, never the program's stdin); each guess gets "higher", "lower" or "correct", and
// seven guesses are enough for 1..100.
const GUESS_INTERACTOR = `import sys
secret = int(open(sys.argv[1]).read())
for guesses in range(1, 8):
    line = sys.stdin.readline()
    if not line:
        print(f"the program stopped after {guesses - 1} guesses", file=sys.stderr)
        sys.exit(1)
    try:
        guess = int(line)
    except ValueError:
        print(f"expected a number, got {line.strip()!r}", file=sys.stderr)
        sys.exit(2)
    if guess == secret:
        print("correct", flush=True)
        print(f"guessed {secret} in {guesses} guesses", file=sys.stderr)
        sys.exit(0)
    print("higher" if guess < secret else "lower", flush=True)
print(f"none of 7 guesses was {secret}", file=sys.stderr)
sys.exit(1)
`;

const BINARY_SEARCH = `lo, hi = 1, 100
while True:
    guess = (lo + hi) // 2
    print(guess, flush=True)
    reply = input()
    if reply == "correct":
        break
    lo, hi = (guess + 1, hi) if reply == "higher" else (lo, guess - 1)
`;

// A hostile program of the interactor's uid, running at the same time: once the interactor
// has answered (so it surely runs), it tries every way to the secret: the files named on the
// interactor's command line (and to make them unreadable), its memory and fds in /proc, whatever
// is under /coderun. With the secret it would win in its next guess; without it, it guesses 1
// and loses.
const STEAL_THE_SECRET = `import os, sys
print(1, flush=True)
input()
tried = opened = 0
found = None
def attempt(path):
    global tried, opened, found
    tried += 1
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    opened += 1
    try:
        data = os.read(fd, 64).strip()
        if data.isdigit():
            found = int(data)
    except OSError:
        pass
    os.close(fd)
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():
        continue
    try:
        if os.stat(f"/proc/{pid}").st_uid != os.getuid():
            continue
        args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
    except OSError:
        continue
    if os.path.basename(args[0]) == b"runner":
        continue
    for a in args[1:]:
        if a.startswith(b"/") and not a.startswith(b"/proc"):
            attempt(a)
            # Take the input away: an interactor that reads nothing may accept anything.
            for target in (a, os.path.dirname(a)):
                tried += 1
                try:
                    os.chmod(target, 0)
                    opened += 1
                except OSError:
                    pass
    attempt(f"/proc/{pid}/mem")
    for fd in range(8):
        if os.path.lexists(f"/proc/{pid}/fd/{fd}"):
            attempt(f"/proc/{pid}/fd/{fd}")
for root, _, names in os.walk("/coderun"):
    for name in names:
        attempt(os.path.join(root, name))
print(f"tried {tried} opened {opened}", file=sys.stderr)
for _ in range(6):
    print(found or 1, flush=True)
    if input() == "correct":
        break
`;

// Counts up from 1: too slow for secrets above 7; stops when the interactor does.
const LINEAR_SEARCH = `import sys
guess = 1
while True:
    print(guess, flush=True)
    reply = sys.stdin.readline().strip()
    if reply in ("correct", ""):
        break
    guess += 1
`;

// The same game compiled: the interactor's compile step runs once, after the program's.
const GUESS_INTERACTOR_C = `#include <stdio.h>
int main(int argc, char **argv) {
  long secret, guess;
  FILE *in = argc > 1 ? fopen(argv[1], "r") : NULL;
  if (!in || fscanf(in, "%ld", &secret) != 1) { fprintf(stderr, "FAIL no secret in the input\\n"); return 3; }
  for (int guesses = 1; guesses <= 7; guesses++) {
    if (scanf("%ld", &guess) != 1) { fprintf(stderr, "expected a number\\n"); return 2; }
    if (guess == secret) { printf("correct\\n"); fflush(stdout); fprintf(stderr, "guessed %ld in %d guesses\\n", secret, guesses); return 0; }
    printf(guess < secret ? "higher\\n" : "lower\\n");
    fflush(stdout);
  }
  fprintf(stderr, "none of 7 guesses was %ld\\n", secret);
  return 1;
}
`;

const BINARY_SEARCH_C = `#include <stdio.h>
#include <string.h>
int main(void) {
  int lo = 1, hi = 100;
  char reply[16];
  for (;;) {
    int guess = (lo + hi) / 2;
    printf("%d\\n", guess);
    fflush(stdout);
    if (scanf("%15s", reply) != 1) return 1;
    if (strcmp(reply, "correct") == 0) return 0;
    if (strcmp(reply, "higher") == 0) lo = guess + 1; else hi = guess - 1;
  }
}
`;

const secrets = (...ns: number[]) => ns.map((n) => ({ name: `secret-${n}`, stdin: `${n}\n` }));

// Right for n up to 1000, wrong above: the large subtask fails.
const TRIANGLE_PYTHON = 'n = int(input())\nprint(n * (n + 1) // 2 if n <= 1000 else 0)\n';
const triangle = (name: string, n: number) => ({ name, stdin: `${n}\n`, expectedStdout: `${(n * (n + 1)) / 2}\n` });

interface Case {
  language: Language;
  spec: (runtime: string) => Omit<CodeRunSpec, 'runtime'>;
  expect: (status: CodeRunStatus) => void;
}

const cases: Record<string, Case> = {
  subtasks: {
    language: 'python3',
    spec: () => ({
      source: { inline: TRIANGLE_PYTHON },
      tests: [triangle('sample', 3), triangle('small-1', 10), triangle('small-2', 1000), triangle('large-1', 100000), triangle('large-2', 5000), triangle('large-3', 7)],
      subtasks: [
        { name: 'samples', points: 0, tests: ['sample'] },
        { name: 'small', points: 40, tests: ['small-1', 'small-2'], dependsOn: ['samples'] },
        { name: 'large', points: 60, tests: ['large-3', 'large-1', 'large-2'], dependsOn: ['small'] },
      ],
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer', score: 40, maxScore: 100 });
      expect(s.subtasks?.map((t) => [t.name, t.verdict, t.score, t.maxScore])).toEqual([
        ['samples', 'Accepted', 0, 0],
        ['small', 'Accepted', 40, 40],
        ['large', 'WrongAnswer', 0, 60],
      ]);
      // Judged in the subtask's order: large-3 passed, large-1 failed, large-2 was not judged.
      expect(s.tests?.map((t) => [t.name, t.verdict])).toEqual([
        ['sample', 'Accepted'], ['small-1', 'Accepted'], ['small-2', 'Accepted'], ['large-1', 'WrongAnswer'], ['large-2', 'Skipped'], ['large-3', 'Accepted'],
      ]);
    },
  },
  'test-points': {
    language: 'python3',
    spec: () => ({
      source: { inline: TRIANGLE_PYTHON },
      tests: [{ ...triangle('1', 5), points: 10 }, { ...triangle('2', 2000), points: 20 }, { ...triangle('3', 50), points: 30.5 }],
    }),
    expect: (s) => {
      expect(s).toMatchObject({ verdict: 'WrongAnswer', score: 40.5, maxScore: 60.5 });
      expect(s.tests?.map((t) => t.score)).toEqual([10, 0, 30.5]);
    },
  },
  'checker-permutation': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: 'n = int(input())\nprint(*range(n, 0, -1))\n' },
      tests: [{ name: '1', stdin: '3\n', expectedStdout: '1 2 3\n' }, { name: '2', stdin: '4\n', expectedStdout: '1 2 3 5\n' }],
      checker: { runtime, source: { inline: PERMUTATION_CHECKER } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
      expect(s.tests?.map((t) => [t.verdict, t.message])).toEqual([
        ['Accepted', 'ok a permutation of the answer'],
        ['WrongAnswer', 'wrong answer: 4 3 2 1 is not a permutation of 1 2 3 5'],
      ]);
    },
  },
  'checker-partial': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: 'print(1, 2, 0, 0)\n' },
      tests: [{ name: '1', expectedStdout: '1 2 3 4\n', points: 50 }, { name: '2', expectedStdout: '1 2 0 0\n', points: 50 }],
      checker: { runtime, source: { inline: PARTIAL_CHECKER }, limits: { cpuTimeMillis: 3000 } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ verdict: 'WrongAnswer', score: 75, maxScore: 100 });
      expect(s.tests?.[0]?.message).toBe("partial points: 0.5 of the test's points (2 of 4 answers right)");
    },
  },
  'checker-fails': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: 'print(1)\n' },
      tests: [{ name: '1', expectedStdout: '1\n' }],
      checker: { runtime, source: { inline: 'import sys\nprint("FAIL the answer file is broken", file=sys.stderr)\nsys.exit(3)\n' } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Failed', verdict: 'SystemError', attempts: 1 });
      expect(s.message).toContain("a fault of the problem's checker, not of the program");
      expect(s.message).toContain('FAIL the answer file is broken');
    },
  },
  'checker-pried-at': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: PRYING_PROGRAM },
      tests: ['1', '2', '3'].map((n) => ({ name: n, expectedStdout: `checkers [] answers []\nSECRET-${n}\n` })),
      checker: { runtime, source: { inline: FIRST_LINE_CHECKER }, files: [{ path: 'SECRET.txt', content: 'SECRET-in-a-checker-file' }] },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ verdict: 'Accepted' });
      expect(s.tests?.map((t) => t.stdout)).toEqual(Array(3).fill('checkers [] answers []\n'));
    },
  },
  'checker-compiled-c': {
    language: 'c',
    spec: (runtime) => ({
      source: { inline: SUM_OFF_BY_ONE_C },
      tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }, { name: '2', stdin: '10 20\n', expectedStdout: '30\n' }],
      checker: { runtime, source: { inline: TOLERANT_CHECKER_C }, files: [{ path: 'testlib.h', content: TESTLIB_H }] },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ verdict: 'Accepted' });
      expect(s.tests?.map((t) => t.message)).toEqual(['4 is close enough to 3', '31 is close enough to 30']);
    },
  },
  'checker-does-not-compile-c': {
    language: 'c',
    spec: (runtime) => ({
      source: { inline: SUM_OFF_BY_ONE_C },
      tests: [{ name: '1', stdin: '1 2\n', expectedStdout: '3\n' }],
      checker: { runtime, source: { inline: 'int main(void) { return 0 }\n' } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Failed', verdict: 'SystemError', attempts: 1, compile: { exitCode: 0 } });
      expect(s.message).toMatch(/^the checker did not compile \(a fault of the problem's checker, not of the program\): compilation failed with exit code 1; it printed: [\s\S]*error: expected/);
    },
  },
  'interactive-accepted': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: BINARY_SEARCH },
      tests: secrets(37, 1, 100),
      interactor: { runtime, source: { inline: GUESS_INTERACTOR } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
      expect(s.tests?.map((t) => t.message)).toEqual(['guessed 37 in 3 guesses', 'guessed 1 in 6 guesses', 'guessed 100 in 7 guesses']);
    },
  },
  'interactive-wrong': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: LINEAR_SEARCH },
      tests: secrets(5, 50),
      interactor: { runtime, source: { inline: GUESS_INTERACTOR } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
      expect(s.tests?.map((t) => [t.verdict, t.message])).toEqual([
        ['Accepted', 'guessed 5 in 5 guesses'],
        ['WrongAnswer', 'none of 7 guesses was 50'],
      ]);
    },
  },
  'interactive-silent': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: 'import sys\nsys.stdin.readline()\n' },
      tests: secrets(5),
      limits: { wallTimeMillis: 2000, cpuTimeMillis: 1000 },
      interactor: { runtime, source: { inline: GUESS_INTERACTOR } },
    }),
    expect: (s) => {
      // The program and the interactor wait for each other: the program's wall time runs out,
      // its CPU time does not, and the interactor (given longer) is not blamed.
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'TimeLimitExceeded' });
      expect(s.tests?.[0]?.message).toMatch(/^wall time limit of 2000 ms exceeded/);
      expect(s.tests?.[0]?.cpuTimeMillis).toBeLessThan(1000);
    },
  },
  'interactive-slow-interactor': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: BINARY_SEARCH },
      tests: secrets(37),
      limits: { cpuTimeMillis: 500, wallTimeMillis: 10000 },
      // The interactor burns 1.5 s of CPU before it reads: the program, waiting, is charged none of it.
      interactor: {
        runtime,
        source: { inline: `import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end:\n    pass\n${GUESS_INTERACTOR}` },
        limits: { cpuTimeMillis: 5000 },
      },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'Accepted' });
      expect(s.tests?.[0]?.cpuTimeMillis).toBeLessThan(500);
      expect(s.tests?.[0]?.wallTimeMillis).toBeGreaterThanOrEqual(1500);
    },
  },
  'interactive-compiled-c': {
    language: 'c',
    spec: (runtime) => ({
      source: { inline: BINARY_SEARCH_C },
      tests: secrets(42, 77),
      interactor: { runtime, source: { inline: GUESS_INTERACTOR_C } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'Accepted', compile: { exitCode: 0 } });
      expect(s.tests?.map((t) => t.message)).toEqual(['guessed 42 in 7 guesses', 'guessed 77 in 7 guesses']);
    },
  },
  'interactive-hostile-program': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: STEAL_THE_SECRET },
      tests: secrets(73),
      interactor: { runtime, source: { inline: GUESS_INTERACTOR } },
    }),
    expect: (s) => {
      // The secret stayed with the interactor: the program guessed blind and lost.
      expect(s).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer' });
      expect(s.tests?.[0]?.message).toBe('none of 7 guesses was 73');
      const [, tried, opened] = /tried (\d+) opened (\d+)/.exec(s.tests?.[0]?.stderr ?? '') ?? [];
      expect(Number(opened)).toBe(0);
      // The interactor's three files, its mem and fds: enough tried that the case still tests.
      expect(Number(tried)).toBeGreaterThanOrEqual(4);
    },
  },
  'interactive-broken-interactor': {
    language: 'python3',
    spec: (runtime) => ({
      source: { inline: BINARY_SEARCH },
      tests: secrets(37),
      interactor: { runtime, source: { inline: 'import os, sys\nsys.stdin.readline()\nprint("giving up", file=sys.stderr, flush=True)\nos.abort()\n' } },
    }),
    expect: (s) => {
      expect(s).toMatchObject({ phase: 'Failed', verdict: 'SystemError', attempts: 1 });
      expect(s.message).toContain("the interactor was killed by signal 6 (SIGABRT) (a fault of the problem's interactor, not of the program); it printed: giving up");
    },
  },
};

const ALL_RUNS = Object.keys(cases).flatMap((name) => RUN_PATHS.map((path) => pathRunName(name, path)));

describe('judging like a contest, on the warm and the cold path', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-judging');
  const runtimes = new PathRuntimes(kc, RUNTIMES);
  let operator: InstalledOperator | undefined;
  let results = new Map<string, ObservedCodeRun>();

  beforeAll(async () => {
    await ensureInstalled(kc);
    await runtimes.create(2);
    operator = await InstalledOperator.start(kc, { label: 'judging', env: { CODERUN_WARM_WAIT_MS: '120000' } });
    await ns.create();
    const submit = (name: string, c: Case, path: RunPath) => {
      const runtime = RUNTIMES[c.language][path];
      return ns.submit(pathRunName(name, path), { ...c.spec(runtime), runtime });
    };
    await Promise.all(Object.entries(cases).flatMap(([name, c]) => RUN_PATHS.map((path) => submit(name, c, path))));
    results = await ns.waitForTerminal(ALL_RUNS, 360_000, () => operator?.assertRunning());
  }, 540_000);

  afterAll(async () => {
    try {
      await tearDown(ns, operator);
    } finally {
      await runtimes.delete();
    }
  }, 120_000);

  describe.each(RUN_PATHS)('%s', (path) => {
    it.each(Object.keys(cases))('%s', (name) => {
      const status = terminalRun(results, pathRunName(name, path)).status;
      expect(status.path).toBe(path);
      cases[name]!.expect(status);
    });
  });

  it('kubectl get coderuns shows the score', () => {
    const out = execFileSync(join(ROOT, '.cluster/bin/kubectl'), ['--kubeconfig', join(ROOT, '.cluster/kubeconfig'), '-n', ns.name, 'get', 'coderuns', pathRunName('subtasks', 'cold'), pathRunName('checker-permutation', 'cold')], { encoding: 'utf8' });
    const [header = '', ...rows] = out.trim().split('\n');
    expect(header).toMatch(/^NAME\s+RUNTIME\s+PHASE\s+VERDICT\s+SCORE\s+TIME-MS/);
    // The SCORE column, where the header puts it (a run without a score leaves it blank).
    const [from, to] = [header.indexOf('SCORE'), header.indexOf('TIME-MS')];
    const score = (name: string) => rows.find((r) => r.startsWith(name))?.slice(from, to).trim();
    expect(score(pathRunName('subtasks', 'cold'))).toBe('40');
    expect(score(pathRunName('checker-permutation', 'cold'))).toBe('');
  });
});
