import { HOST_UID_RANGE, USERNS_UID_RANGE, allocateUid, runSelector, sandboxLabels, sandboxPodName, sandboxUid, uidsInUse } from './names.js';

const uid = '6f1c2a9e-6b53-4a8e-9d1e-2b7f3c4d5e6f';

describe('sandboxPodName', () => {
  test.each([
    ['sum', 1, `sum-${uid}`],
    ['sum', 2, `sum-${uid}-2`],
    ['a.b.c', 1, `a-b-c-${uid}`],
    ['a-very-long-submission-name-from-a-judge', 1, `a-very-long-submissi-${uid}`],
    ['submission-12345678-', 1, `submission-12345678-${uid}`],
    ['abcdefghijklmnopqrs-tuvw', 1, `abcdefghijklmnopqrs-${uid}`],
  ])('%s attempt %d', (name, attempt, podName) => {
    const result = sandboxPodName({ namespace: 'judge', name, uid }, attempt);
    expect(result).toBe(podName);
    expect(result.length).toBeLessThanOrEqual(63);
    expect(result).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test('the same run always gets the same names; another run other names', () => {
    const run = { namespace: 'judge', name: 'sum', uid };
    expect(sandboxPodName(run, 1)).toBe(sandboxPodName({ ...run }, 1));
    expect(sandboxPodName({ ...run, uid: uid.replace('6f', '70') }, 1)).not.toBe(sandboxPodName(run, 1));
  });
});

test('sandboxLabels tie the object to its run; a long name is cut to a valid label value', () => {
  const name = `${'n'.repeat(62)}.x.y`;
  const labels = sandboxLabels({ namespace: 'judge', name, uid }, 'python3', 1);
  expect(labels).toEqual({
    'app.kubernetes.io/managed-by': 'coderun',
    'app.kubernetes.io/component': 'sandbox',
    'coderun.dev/run-namespace': 'judge',
    'coderun.dev/run-name': 'n'.repeat(62),
    'coderun.dev/run-uid': uid,
    'coderun.dev/runtime': 'python3',
    'coderun.dev/attempt': '1',
  });
  expect(runSelector({ uid })).toBe(`app.kubernetes.io/managed-by=coderun,coderun.dev/run-uid=${uid}`);
});

describe('sandboxUid', () => {
  test('deterministic, inside the range, spread over it', () => {
    const uids = Array.from({ length: 2000 }, (_, i) => sandboxUid(`run-${i}`, HOST_UID_RANGE));
    expect(sandboxUid('run-7', HOST_UID_RANGE)).toBe(uids[7]);
    for (const u of uids) {
      expect(u).toBeGreaterThanOrEqual(HOST_UID_RANGE.start);
      expect(u).toBeLessThan(HOST_UID_RANGE.start + HOST_UID_RANGE.size);
    }
    expect(new Set(uids).size).toBe(uids.length);
    expect(Math.min(...uids)).toBeLessThan(HOST_UID_RANGE.start + HOST_UID_RANGE.size / 10);
    expect(Math.max(...uids)).toBeGreaterThan(HOST_UID_RANGE.start + (HOST_UID_RANGE.size * 9) / 10);
  });

  test('the user-namespace range stays inside the 65536 uids a pod sees', () => {
    for (let i = 0; i < 500; i++) {
      const u = sandboxUid(`run-${i}`, USERNS_UID_RANGE);
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThan(65536);
    }
  });
});

describe('allocateUid', () => {
  const range = { start: 100, size: 10 };
  const seed = 'pool-python3-0a1b2c3d';
  /** The uid k steps after where the seed hashes to, wrapping inside the range. */
  const after = (k: number) => range.start + ((sandboxUid(seed, range) - range.start + k) % range.size);

  it.each<[string, number[], number]>([
    ['nothing in use: where the seed hashes to', [], after(0)],
    ['uids outside the range do not matter', [1, 99, 110], after(0)],
    ['its uid in use: the next free one', [after(0)], after(1)],
    ['a run of uids in use: the first free one after them', [after(0), after(1), after(2), after(4)], after(3)],
    ['only the first uid of the range free: found by wrapping around at its end', [101, 102, 103, 104, 105, 106, 107, 108, 109], 100],
  ])('%s', (_name, inUse, expected) => {
    expect(allocateUid(seed, new Set(inUse), range)).toBe(expected);
  });

  it('never gives a uid in use, and the same uid for the same seed and uids in use', () => {
    const inUse = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const uid = allocateUid(`pod-${i}`, inUse, range);
      expect(uid).toBe(allocateUid(`pod-${i}`, new Set(inUse), range));
      expect(inUse.has(uid)).toBe(false);
      expect(uid).toBeGreaterThanOrEqual(100);
      expect(uid).toBeLessThan(110);
      inUse.add(uid);
    }
    expect(() => allocateUid('one-too-many', inUse, range)).toThrow(/every uid of 100\.\.109 is in use/);
  });

  it('in the host range, 5000 pods allocated one after another never share a uid', () => {
    const inUse = new Set<number>();
    for (let i = 0; i < 5000; i++) inUse.add(allocateUid(`pod-${i}`, inUse, HOST_UID_RANGE));
    expect(inUse.size).toBe(5000);
  });
});

describe('uidsInUse', () => {
  it('the pod-level runAsUser of every pod that has one', () => {
    const pods = [{ spec: { securityContext: { runAsUser: 7 } } }, { spec: {} }, {}, { spec: { securityContext: { runAsUser: 9 } } }];
    expect(uidsInUse(pods)).toEqual(new Set([7, 9]));
  });
});
