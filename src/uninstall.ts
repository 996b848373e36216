// The chart's pre-delete hook (`helm uninstall`): ends every CodeRun in flight as SystemError,
// removes coderun's finalizer from every CodeRun, and deletes every sandbox pod, so that nothing
// is left stuck once the operator is gone. The operator still runs meanwhile: every write is
// guarded by the run's resourceVersion, and a conflict is read again and decided anew.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { z } from 'zod';
import { loadConfig } from './config.js';
import { GROUP, VERSION } from './crds/common.js';
import { ObservedRunSchema, type ObservedRun } from './controllers/coderun/observed-run.js';
import { uninstallStep } from './controllers/coderun/uninstall.js';
import { LABELS, MANAGED_BY } from './sandbox/names.js';
import { statusCode } from './kube/api-errors.js';
import { CodeRunApi } from './kube/coderun-api.js';
import { loadKubeConfig } from './kube/kube-config.js';
import { SandboxApi } from './kube/sandbox-api.js';
import { createLogger } from './observability/logger.js';

const ATTEMPTS = 5;
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const kubeConfig = loadKubeConfig();
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const codeRuns = new CodeRunApi(kubeConfig);
const ListSchema = z.object({ items: z.array(z.unknown()) });

async function listRuns(): Promise<ObservedRun[]> {
  const list = ListSchema.parse(await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'coderuns' }));
  return list.items.flatMap((item) => {
    const parsed = ObservedRunSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** One pass over every run; returns how many writes met a conflict (to be decided again). */
async function pass(): Promise<number> {
  let conflicts = 0;
  for (const run of await listRuns()) {
    const step = uninstallStep(run, new Date());
    const identity = { namespace: run.metadata.namespace, name: run.metadata.name, resourceVersion: run.metadata.resourceVersion };
    try {
      if (step.status) {
        identity.resourceVersion = await codeRuns.patchStatus(identity, step.status);
        logger.info({ namespace: identity.namespace, name: identity.name }, 'ended a run in flight as SystemError');
      }
      if (step.finalizers) await codeRuns.setFinalizers(identity, step.finalizers);
    } catch (err) {
      if (statusCode(err) === 409) conflicts++;
      else if (statusCode(err) !== 404) throw err;
    }
  }
  return conflicts;
}

let conflicts = await pass();
for (let attempt = 1; conflicts > 0 && attempt < ATTEMPTS; attempt++) conflicts = await pass();
await new SandboxApi(kubeConfig, config.sandboxNamespace).deleteAll(`${LABELS.managedBy}=${MANAGED_BY}`);
if (conflicts > 0) {
  logger.error({ conflicts }, 'some runs kept changing; run `helm uninstall` again');
  process.exit(1);
}
logger.info('every CodeRun is terminal and free of coderun finalizers; every sandbox pod is deleted');
