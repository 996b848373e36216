import { JOB_CONFIGMAP_MAX_BYTES, buildJobConfigMap } from './job-configmap.js';

const run = { namespace: 'judge', name: 'sum', uid: '6f1c2a9e-6b53-4a8e-9d1e-2b7f3c4d5e6f' };

test('an immutable ConfigMap next to the pod: the gzip job under "job", the judging record under "judging"', () => {
  const job = Buffer.from([0x1f, 0x8b, 1, 2, 3]);
  const judging = Buffer.from([0x1f, 0x8b, 4, 5]);
  const result = buildJobConfigMap({ run, runtimeName: 'python3', attempt: 1 }, { job, judging }, { namespace: 'coderun-sandbox' });
  expect(result).toEqual({
    ok: true,
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `sum-${run.uid}-job`,
        namespace: 'coderun-sandbox',
        labels: expect.objectContaining({ 'coderun.dev/run-uid': run.uid, 'coderun.dev/attempt': '1' }),
        annotations: { 'coderun.dev/run-name': 'judge/sum' },
      },
      immutable: true,
      binaryData: { job: job.toString('base64'), judging: judging.toString('base64') },
    },
  });
});

test('a job and judging record over the ConfigMap limit together are refused with what to change', () => {
  const blobs = { job: Buffer.alloc(JOB_CONFIGMAP_MAX_BYTES - 10), judging: Buffer.alloc(11) };
  const result = buildJobConfigMap({ run, runtimeName: 'python3', attempt: 1 }, blobs, { namespace: 'x' });
  expect(result).toEqual({ ok: false, message: expect.stringContaining('0.98 MiB gzip-compressed, over the') });
  expect(!result.ok && result.message).toContain('split the tests over several CodeRuns');
});

test('a job exactly at the limit fits', () => {
  const blobs = { job: Buffer.alloc(JOB_CONFIGMAP_MAX_BYTES - 10), judging: Buffer.alloc(10) };
  const result = buildJobConfigMap({ run, runtimeName: 'python3', attempt: 1 }, blobs, { namespace: 'x' });
  expect(result.ok).toBe(true);
});
