// A typed client for judge backends: submit a CodeRun and await its verdict. The spec is checked
// with the same zod schema the operator uses, so a bad submission fails here, with the field and
// what to change, before it reaches the cluster.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { GROUP, VERSION, API_VERSION } from '../crds/common.js';
import { CodeRunSpecSchema, CodeRunStatusSchema, type CodeRunSpec, type CodeRunStatus } from '../crds/coderun.js';
import { formatIssues } from '../crds/format-issues.js';

const PLURAL = 'coderuns';
const WATCH_RETRY_MS = 500;

const SubmittedSchema = z.looseObject({ metadata: z.looseObject({ name: z.string(), uid: z.string() }) });
const RunObjectSchema = z.looseObject({ metadata: z.looseObject({ name: z.string() }), status: CodeRunStatusSchema.optional() });

export interface SubmitOptions {
  /** A fixed name; the default lets the API server generate one from `generateName`. */
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
}

export interface FinishedRun {
  name: string;
  status: CodeRunStatus & { phase: 'Completed' | 'Failed' };
}

export class CodeRunTimeoutError extends Error {}

const isFinished = (status: CodeRunStatus | undefined): status is FinishedRun['status'] =>
  status?.phase === 'Completed' || status?.phase === 'Failed';

export class CodeRunClient {
  private readonly api: CustomObjectsApi;
  private readonly watcher: Watch;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kubeConfig);
  }

  /** Creates the CodeRun; returns its name and UID. Throws on a spec the operator would refuse. */
  async submit(namespace: string, spec: CodeRunSpec, options: SubmitOptions = {}): Promise<{ name: string; uid: string }> {
    const parsed = CodeRunSpecSchema.safeParse(spec);
    if (!parsed.success) throw new Error(`invalid CodeRun: ${formatIssues('spec', parsed.error)}`);
    const metadata = {
      ...(options.name ? { name: options.name } : { generateName: options.generateName ?? 'run-' }),
      ...(options.labels ? { labels: options.labels } : {}),
    };
    const created = await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      body: { apiVersion: API_VERSION, kind: 'CodeRun', metadata, spec: parsed.data },
    });
    const { name, uid } = SubmittedSchema.parse(created).metadata;
    return { name, uid };
  }

  /**
   * Resolves with the terminal status (Completed or Failed) of the run. It watches the one object,
   * after reading it once so that a run finished before the watch began is not missed; a watch
   * that ends early is started again.
   */
  async waitForResult(namespace: string, name: string, timeoutMs = 120_000): Promise<FinishedRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = RunObjectSchema.parse(await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }));
      if (isFinished(current.status)) return { name, status: current.status };
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new CodeRunTimeoutError(`CodeRun ${namespace}/${name} did not finish within ${timeoutMs} ms`);
      const finished = await this.watchUntilFinished(namespace, name, remaining);
      if (finished) return { name, status: finished };
      // The watch ended early (server timeout, a dropped connection): look again shortly.
      await new Promise((resolve) => setTimeout(resolve, Math.min(WATCH_RETRY_MS, Math.max(0, deadline - Date.now()))));
    }
  }

  /** submit, then waitForResult. */
  async run(namespace: string, spec: CodeRunSpec, options: SubmitOptions & { timeoutMs?: number } = {}): Promise<FinishedRun> {
    const { name } = await this.submit(namespace, spec, options);
    return this.waitForResult(namespace, name, options.timeoutMs);
  }

  // Resolves with the terminal status, or undefined when the watch ended or the time ran out.
  private watchUntilFinished(namespace: string, name: string, timeoutMs: number): Promise<FinishedRun['status'] | undefined> {
    return new Promise((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const settle = (value: FinishedRun['status'] | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        controller?.abort();
        resolve(value);
      };
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      this.watcher
        .watch(
          `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
          { fieldSelector: `metadata.name=${name}` },
          (_type, obj: unknown) => {
            const parsed = RunObjectSchema.safeParse(obj);
            if (parsed.success && isFinished(parsed.data.status)) settle(parsed.data.status);
          },
          () => settle(undefined),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          () => settle(undefined),
        );
    });
  }
}
