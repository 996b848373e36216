import { isSelfTestRun, runtimeReadiness, SELF_TEST_LABEL } from './runtime-ready.js';

const at = '2026-12-06T09:00:00Z';
const runtime = (generation: number, ready?: { status: string; reason: string; message: string; observedGeneration?: number }) => ({
  metadata: { name: 'java', generation },
  spec: {},
  status: ready === undefined ? {} : { conditions: [{ type: 'Ready', lastTransitionTime: at, ...ready }] },
});

test.each([
  ['Ready for its generation', runtime(2, { status: 'True', reason: 'SelfTestPassed', message: 'ok', observedGeneration: 2 }), { ready: true }],
  ['no Ready condition yet', runtime(1), { ready: false, message: 'Runtime java has no Ready condition yet (its self-test has not started)' }],
  ['its self-test is running', runtime(1, { status: 'Unknown', reason: 'SelfTestRunning', message: 'running', observedGeneration: 1 }), { ready: false, message: 'Runtime java is not Ready (SelfTestRunning): running' }],
  ['its self-test failed', runtime(1, { status: 'False', reason: 'ImageNotFound', message: 'ErrImageNeverPull', observedGeneration: 1 }), { ready: false, message: 'Runtime java is not Ready (ImageNotFound): ErrImageNeverPull' }],
  [
    'Ready for an older generation: the change has not been tested yet',
    runtime(3, { status: 'True', reason: 'SelfTestPassed', message: 'ok', observedGeneration: 2 }),
    { ready: false, message: 'Runtime java changed (generation 3) and its self-test for that change has not finished' },
  ],
  ['not a Runtime at all', 'garbage', { ready: false, message: 'Runtime java cannot be read' }],
])('%s', (_name, observed, expected) => {
  expect(runtimeReadiness('java', observed)).toEqual(expected);
});

test('a self-test run is known by its label', () => {
  expect(isSelfTestRun({ metadata: { labels: { [SELF_TEST_LABEL]: 'true' } } })).toBe(true);
  expect(isSelfTestRun({ metadata: { labels: { app: 'judge' } } })).toBe(false);
  expect(isSelfTestRun({ metadata: {} })).toBe(false);
});
