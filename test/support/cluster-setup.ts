import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// e2e globalSetup: the full local cluster, where pods really run. Brought up here (cluster:up is
// idempotent and fast when cached); a cluster that cannot come up fails the run, never skips it.
// Jest loads a globalSetup as CommonJS without its moduleNameMapper or import.meta, so this file
// imports nothing relative and takes the repository root from jest's project config.
export default function setup(_globalConfig: unknown, project: { rootDir: string }): void {
  execFileSync('bash', [resolve(project.rootDir, 'hack/cluster/up.sh')], { stdio: 'inherit', cwd: project.rootDir });
  process.env.KUBECONFIG = resolve(project.rootDir, '.cluster/kubeconfig');
}
