import type { Phase } from '../../crds/coderun.js';
import { FINALIZER, type ObservedRun } from './observed-run.js';
import { UNINSTALLED_MESSAGE, uninstallStep } from './uninstall.js';

const NOW = new Date('2026-12-06T10:00:00Z');
const run = (phase: Phase | undefined, finalizers: string[] | undefined, extra: Record<string, unknown> = {}): ObservedRun => ({
  apiVersion: 'coderun.dev/v1alpha1',
  kind: 'CodeRun',
  metadata: { name: 'r', namespace: 'ns', uid: 'u', resourceVersion: '7', generation: 1, ...(finalizers ? { finalizers } : {}) },
  spec: {},
  ...(phase ? { status: { phase, ...extra } } : {}),
});

describe('uninstallStep', () => {
  test.each<[string, ObservedRun, boolean, string[] | undefined]>([
    ['a new run, before the operator saw it', run(undefined, undefined), true, undefined],
    ['a pending run with the finalizer', run('Pending', [FINALIZER]), true, []],
    ['a running run with another finalizer too', run('Running', ['other.io/keep', FINALIZER], { podName: 'p', attempts: 1, path: 'warm' }), true, ['other.io/keep']],
    ['a completed run whose cleanup is still due', run('Completed', [FINALIZER]), false, []],
    ['a failed run, cleaned up', run('Failed', undefined), false, undefined],
  ])('%s', (_name, observed, ends, finalizers) => {
    const step = uninstallStep(observed, NOW);
    expect(step.finalizers).toEqual(finalizers);
    expect(step.status !== undefined).toBe(ends);
  });

  test('a run in flight ends as SystemError saying why, keeping its pod, attempts and path', () => {
    const step = uninstallStep(run('Running', [FINALIZER], { podName: 'p', attempts: 2, path: 'cold', startedAt: '2026-12-06T09:59:00Z' }), NOW);
    expect(step.status).toMatchObject({
      phase: 'Failed',
      verdict: 'SystemError',
      message: UNINSTALLED_MESSAGE,
      podName: 'p',
      attempts: 2,
      path: 'cold',
      startedAt: '2026-12-06T09:59:00.000Z',
      finishedAt: NOW.toISOString(),
    });
  });
});
