import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { testKubeConfig } from '../support/kube-config.js';
import { CodeRunTestNamespace, tearDown, terminalRun, type ObservedCodeRun } from '../support/coderun-e2e.js';
import { InstalledOperator, ensureInstalled } from '../support/installed-operator.js';
import type { Verdict } from '../../src/crds/coderun.js';

// `kubectl apply -f coderun.yaml` works, as the project promises its users: every file in
// examples/ is applied as it is, gets the verdict its comment names, is unchanged when applied
// again, and runs again with `kubectl replace --force`.

const ROOT = resolve(import.meta.dirname, '../..');
const KUBECTL = join(ROOT, '.cluster/bin/kubectl');
const EXAMPLES: Record<string, { name: string; verdict: Verdict; score?: number }> = {
  'accepted-python.yaml': { name: 'sum-python', verdict: 'Accepted' },
  'wrong-answer-python.yaml': { name: 'sum-wrong', verdict: 'WrongAnswer' },
  'compilation-error-cpp.yaml': { name: 'sum-cpp-broken', verdict: 'CompilationError' },
  'time-limit-exceeded-c.yaml': { name: 'spin-c', verdict: 'TimeLimitExceeded' },
  'checker-permutation-python.yaml': { name: 'permutation-checker', verdict: 'Accepted' },
  'checker-partial-points-python.yaml': { name: 'partial-points', verdict: 'WrongAnswer', score: 75 },
  'subtasks-python.yaml': { name: 'triangle-subtasks', verdict: 'WrongAnswer', score: 40 },
  'interactive-guessing-python.yaml': { name: 'guessing-game', verdict: 'Accepted' },
};

describe('the examples, submitted with kubectl apply', () => {
  const kc = testKubeConfig();
  const ns = new CodeRunTestNamespace(kc, 'e2e-examples');
  let operator: InstalledOperator | undefined;
  let results = new Map<string, ObservedCodeRun>();
  const kubectl = (...args: string[]): string => execFileSync(KUBECTL, ['--kubeconfig', join(ROOT, '.cluster/kubeconfig'), '-n', ns.name, ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    await ensureInstalled(kc);
    operator = await InstalledOperator.start(kc, { label: 'examples' });
    await ns.create();
    for (const file of Object.keys(EXAMPLES)) kubectl('apply', '-f', join(ROOT, 'examples', file));
    results = await ns.waitForTerminal(Object.values(EXAMPLES).map((e) => e.name), 180_000, () => operator?.assertRunning());
  }, 300_000);

  afterAll(async () => {
    await tearDown(ns, operator);
  }, 120_000);

  it.each(Object.entries(EXAMPLES))('%s gets the verdict (and score) its comment names', (_file, example) => {
    const { status } = terminalRun(results, example.name);
    expect(status.verdict).toBe(example.verdict);
    expect(status.score).toBe(example.score);
  });

  it('applying a file again changes nothing: the run keeps its verdict', async () => {
    const file = 'accepted-python.yaml';
    expect(kubectl('apply', '-f', join(ROOT, 'examples', file))).toMatch(/unchanged/);
    const again = await ns.get(EXAMPLES[file]!.name);
    expect(again?.uid).toBe(terminalRun(results, EXAMPLES[file]!.name).uid);
    expect(again?.status.verdict).toBe('Accepted');
  });

  it('kubectl replace --force runs the same file again, as a new run', async () => {
    const { name } = EXAMPLES['wrong-answer-python.yaml']!;
    const before = terminalRun(results, name).uid;
    kubectl('replace', '--force', '-f', join(ROOT, 'examples', 'wrong-answer-python.yaml'));
    const rerun = await ns.waitForOne(name, 120_000);
    expect(rerun.uid).not.toBe(before);
    expect(rerun.status).toMatchObject({ phase: 'Completed', verdict: 'WrongAnswer', attempts: 1 });
  }, 150_000);
});
