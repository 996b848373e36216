import { CodeRunSpecSchema } from './coderun.js';

const base = { runtime: 'python3', source: { inline: 'print(1)' }, tests: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
const sub = (name: string, tests: string[], extra: object = {}) => ({ name, points: 10, tests, ...extra });

const issues = (spec: unknown): string => {
  const parsed = CodeRunSpecSchema.safeParse(spec);
  return parsed.success ? '' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};

test.each<[string, unknown]>([
  ['test points', { ...base, tests: [{ name: 'a', points: 1.5 }, { name: 'b' }] }],
  ['subtasks with every option', { ...base, subtasks: [sub('s1', ['a']), sub('s2', ['c', 'b'], { scoring: 'minimum', dependsOn: ['s1'] })] }],
])('accepts %s', (_name, spec) => {
  expect(issues(spec)).toBe('');
});

test.each<[string, unknown, string]>([
  ['negative points', { ...base, tests: [{ name: 'a', points: -1 }] }, 'tests.0.points'],
  ['subtasks without tests', { runtime: 'python3', source: base.source, subtasks: [sub('s', ['a'])] }, 'subtasks: subtasks group tests; add tests or remove subtasks'],
  ['subtasks with test points', { ...base, tests: [{ name: 'a', points: 3 }], subtasks: [sub('s', ['a'])] }, "tests.0.points: with subtasks, points belong to the subtasks; remove the test's points"],
  ['subtasks with stopOnFirstFailure', { ...base, stopOnFirstFailure: true, subtasks: [sub('s', ['a', 'b', 'c'])] }, 'stopOnFirstFailure: subtasks already stop'],
  ['an unknown test', { ...base, subtasks: [sub('s', ['a', 'b', 'c', 'd'])] }, 'subtasks.0.tests.3: there is no test named "d"; name one of spec.tests'],
  ['a test in two subtasks', { ...base, subtasks: [sub('s1', ['a', 'b']), sub('s2', ['b', 'c'])] }, 'subtasks.1.tests.0: test "b" is already in subtask "s1"'],
  ['a test in no subtask', { ...base, subtasks: [sub('s', ['a', 'b'])] }, 'tests.2.name: test "c" is in no subtask; add it to one'],
  ['a dependency on a later subtask', { ...base, subtasks: [sub('s1', ['a'], { dependsOn: ['s2'] }), sub('s2', ['b', 'c'])] }, 'subtasks.0.dependsOn.0: "s2" is not a subtask listed before "s1"'],
  ['a dependency on itself', { ...base, subtasks: [sub('s1', ['a', 'b', 'c'], { dependsOn: ['s1'] })] }, '"s1" is not a subtask listed before "s1"'],
  ['duplicate subtask names', { ...base, subtasks: [sub('s', ['a']), sub('s', ['b', 'c'])] }, 'subtasks.1.name: subtask name "s" is used twice'],
  ['an unknown scoring mode', { ...base, subtasks: [sub('s', ['a', 'b', 'c'], { scoring: 'sum' })] }, 'subtasks.0.scoring'],
])('rejects %s', (_name, spec, message) => {
  expect(issues(spec)).toContain(message);
});
