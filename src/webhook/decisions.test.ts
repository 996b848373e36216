import { PYTHON3 } from '../sandbox/test-fixtures.js';
import { validateCodeRun } from '../controllers/coderun/validate.js';
import type { UserInfo } from './admission-review.js';
import type { ReadQuestion } from '../kube/access-review.js';
import { admitCodeRun, admitRuntime } from './decisions.js';

const python3 = { apiVersion: 'coderun.dev/v1alpha1', kind: 'Runtime', metadata: { name: 'python3' }, spec: PYTHON3 };
const student: UserInfo = { username: 'student-1', groups: ['system:authenticated'] };
const run = (spec: Record<string, unknown>) => ({ apiVersion: 'coderun.dev/v1alpha1', kind: 'CodeRun', metadata: { name: 'r' }, spec });
const inline = { runtime: 'python3', source: { inline: 'print(input())' } };

/** Deps whose access answers come from a set of "resource/name" the user may read. */
function deps(readable: string[], failWith?: string) {
  const asked: ReadQuestion[] = [];
  return {
    asked,
    runtime: (name: string) => Promise.resolve(name === 'python3' ? python3 : undefined),
    mayRead: (_user: UserInfo, q: ReadQuestion) => {
      asked.push(q);
      if (failWith) return Promise.reject(new Error(failWith));
      return Promise.resolve(readable.includes(`${q.resource}/${q.name}`));
    },
  };
}

describe('admitCodeRun', () => {
  test.each<[string, Record<string, unknown>, string[], string | undefined, { allowed: boolean; code?: number; message?: string }]>([
    ['an inline run', inline, [], undefined, { allowed: true }],
    ['an unknown Runtime', { ...inline, runtime: 'cobol' }, [], undefined, { allowed: false, code: 422, message: 'spec.runtime: there is no Runtime named "cobol"' }],
    [
      'a limit above the maximum',
      { ...inline, limits: { memoryMiB: 4096 } },
      [],
      undefined,
      { allowed: false, code: 422, message: 'spec.limits.memoryMiB 4096 exceeds the Runtime python3 maximum 1024; lower it to at most 1024' },
    ],
    [
      'a malformed reference',
      { runtime: 'python3', source: { secretKeyRef: { name: 'Bad_Name', key: 'k' } } },
      [],
      undefined,
      { allowed: false, code: 422, message: 'spec.source.secretKeyRef.name: the referenced object name must be a lower-case DNS name' },
    ],
    [
      'a Secret the user may not read',
      { ...inline, tests: [{ name: 't', stdinFrom: { secretKeyRef: { name: 'grader-key', key: 'key' } } }] },
      [],
      undefined,
      {
        allowed: false,
        code: 403,
        message: 'spec.tests[0].stdinFrom.secretKeyRef: user "student-1" may not get secrets "grader-key" in namespace "course-a"',
      },
    ],
    [
      'a ConfigMap the user may read, a Secret not',
      {
        runtime: 'python3',
        source: { configMapKeyRef: { name: 'src', key: 'main.py' } },
        tests: [{ name: 't', expectedStdoutFrom: { secretKeyRef: { name: 'answers', key: 't' } } }],
      },
      ['configmaps/src'],
      undefined,
      { allowed: false, code: 403, message: 'spec.tests[0].expectedStdoutFrom.secretKeyRef: user "student-1" may not get secrets "answers"' },
    ],
    [
      "a checker's source in a Secret the user may not read",
      { ...inline, tests: [{ name: 't', stdin: '1' }], checker: { runtime: 'python3', source: { secretKeyRef: { name: 'checker', key: 'check.py' } } } },
      [],
      undefined,
      { allowed: false, code: 403, message: 'spec.checker.source.secretKeyRef: user "student-1" may not get secrets "checker"' },
    ],
    [
      "an interactor's source in a Secret the user may not read",
      { ...inline, tests: [{ name: 't', stdin: '1' }], interactor: { runtime: 'python3', source: { secretKeyRef: { name: 'interactor', key: 'interact.py' } } } },
      [],
      undefined,
      { allowed: false, code: 403, message: 'spec.interactor.source.secretKeyRef: user "student-1" may not get secrets "interactor"' },
    ],
    [
      'references the user may read',
      { runtime: 'python3', source: { configMapKeyRef: { name: 'src', key: 'main.py' } }, tests: [{ name: 't', stdinFrom: { secretKeyRef: { name: 'in', key: 't' } } }] },
      ['configmaps/src', 'secrets/in'],
      undefined,
      { allowed: true },
    ],
    [
      'an access review that fails',
      { runtime: 'python3', source: { configMapKeyRef: { name: 'src', key: 'main.py' } } },
      [],
      'connection refused',
      { allowed: false, code: 503, message: 'could not check whether user "student-1" may get configmaps/src (connection refused); try again' },
    ],
  ])('%s', async (_name, spec, readable, failWith, expected) => {
    const decision = await admitCodeRun('course-a', run(spec), student, deps(readable, failWith));
    expect(decision.allowed).toBe(expected.allowed);
    if (!decision.allowed) {
      expect(decision.code).toBe(expected.code);
      expect(decision.message).toContain(expected.message);
    }
  });

  test.each<[string, Record<string, unknown>]>([
    ['an unknown Runtime', { ...inline, runtime: 'cobol' }],
    ['limits above the maximum', { ...inline, limits: { memoryMiB: 4096, processes: 100 } }],
    ['a file where the source goes', { ...inline, files: [{ path: 'main.py', content: 'x' }] }],
    ['no source', { runtime: 'python3' }],
  ])('refuses %s with the text the reconciler writes into the status', async (_name, spec) => {
    const decision = await admitCodeRun('course-a', run(spec), student, deps([]));
    const reconciler = validateCodeRun(spec, spec.runtime === 'python3' ? python3 : undefined);
    expect(reconciler.valid).toBe(false);
    expect(decision).toEqual({ allowed: false, code: 422, message: reconciler.valid ? '' : reconciler.message });
  });

  test('asks once per object, in the run namespace, for get', async () => {
    const d = deps(['secrets/data']);
    const ref = { secretKeyRef: { name: 'data', key: 'a' } };
    const spec = { ...inline, tests: [{ name: 'a', stdinFrom: ref, expectedStdoutFrom: { secretKeyRef: { name: 'data', key: 'b' } } }, { name: 'b', stdinFrom: ref }] };
    expect(await admitCodeRun('course-a', run(spec), student, d)).toEqual({ allowed: true });
    expect(d.asked).toEqual([{ resource: 'secrets', namespace: 'course-a', name: 'data' }]);
  });

  test('does not ask about references of a run refused for its spec', async () => {
    const d = deps([]);
    const spec = { ...inline, runtime: 'cobol', tests: [{ name: 'a', stdinFrom: { secretKeyRef: { name: 'x', key: 'a' } } }] };
    expect((await admitCodeRun('course-a', run(spec), student, d)).allowed).toBe(false);
    expect(d.asked).toEqual([]);
  });
});

describe('admitRuntime', () => {
  test('a valid Runtime is admitted', () => {
    expect(admitRuntime(python3)).toEqual({ allowed: true });
  });
  test('an invalid Runtime is refused naming the field', () => {
    const decision = admitRuntime({ ...python3, spec: { ...PYTHON3, run: { command: [] } } });
    expect(decision).toMatchObject({ allowed: false, code: 422 });
    expect(decision.allowed ? '' : decision.message).toMatch(/^spec\.run\.command: /);
  });
});
