import type { V1ConfigMap } from '@kubernetes/client-node';
import { JOB_CONFIGMAP_KEY, JUDGING_CONFIGMAP_KEY, type SandboxConfig } from './sandbox-pod.js';
import { RUN_NAME_ANNOTATION, jobConfigMapName, sandboxLabels, type RunRef } from './sandbox-names.js';

/** The API server refuses a ConfigMap whose data exceeds 1 MiB; keep room for the object around it. */
export const JOB_CONFIGMAP_MAX_BYTES = 1024 * 1024 - 16 * 1024;

export type JobConfigMapResult = { ok: true; configMap: V1ConfigMap } | { ok: false; message: string };

/** The gzip-compressed contents of a job ConfigMap. */
export interface JobBlobs {
  /** The runner's job document: the only key mounted into the pod. */
  job: Uint8Array;
  /** The judging record (expected outputs, compare, limits): read back by the operator only. */
  judging: Uint8Array;
}

/**
 * The immutable ConfigMap holding one attempt's gzip-compressed job and judging record, next to
 * its pod in the sandbox namespace (immutable: the kubelet need not watch it).
 */
export function buildJobConfigMap(
  input: { run: RunRef; runtimeName: string; attempt: number },
  blobs: JobBlobs,
  config: Pick<SandboxConfig, 'namespace'>,
): JobConfigMapResult {
  const size = blobs.job.byteLength + blobs.judging.byteLength;
  if (size > JOB_CONFIGMAP_MAX_BYTES) {
    const mib = (size / (1024 * 1024)).toFixed(2);
    return {
      ok: false,
      message: `the job (source, files, every test's stdin and expected output) is ${mib} MiB gzip-compressed, over the ${JOB_CONFIGMAP_MAX_BYTES} bytes a ConfigMap can carry; split the tests over several CodeRuns or make the inputs smaller`,
    };
  }
  const { run, attempt } = input;
  return {
    ok: true,
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: jobConfigMapName(run, attempt),
        namespace: config.namespace,
        labels: sandboxLabels(run, input.runtimeName, attempt),
        annotations: { [RUN_NAME_ANNOTATION]: `${run.namespace}/${run.name}` },
      },
      immutable: true,
      binaryData: {
        [JOB_CONFIGMAP_KEY]: Buffer.from(blobs.job).toString('base64'),
        [JUDGING_CONFIGMAP_KEY]: Buffer.from(blobs.judging).toString('base64'),
      },
    },
  };
}
