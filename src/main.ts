// The operator process: configuration from the environment, the cluster from KUBECONFIG (or the
// in-cluster service account), and a clean stop on SIGTERM/SIGINT.
import { loadConfig } from './config.js';
import { loadKubeConfig } from './kube/kube-config.js';
import { ensureNamespace } from './kube/sandbox-setup.js';
import { createLogger } from './observability/logger.js';
import { createOperator } from './operator.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const kubeConfig = loadKubeConfig();

if (config.leaderElection && config.manageNamespaces) {
  // The Lease lives there; `npm start` on a bare cluster may not have it (the chart makes it).
  await ensureNamespace(kubeConfig, config.leaderElectionNamespace).catch((err: unknown) =>
    logger.warn({ err, namespace: config.leaderElectionNamespace }, 'could not make sure the leader election namespace exists'),
  );
}
const operator = createOperator(config, kubeConfig, logger);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopping = true;
    logger.info({ signal }, 'stopping');
    operator.stop().catch((err: unknown) => logger.error({ err }, 'unclean stop'));
  });
}

const end = await operator.run();
if (end === 'lost' && !stopping) {
  // controller-runtime exits when leadership is lost: another replica may already be acting.
  logger.error('leadership lost; exiting so that only the new leader acts');
  process.exit(1);
}
logger.info('stopped');
