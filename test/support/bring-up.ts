import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// Tests against a real cluster bring it up themselves (cluster:up is idempotent and fast when
// cached) and fail, never skip, when it cannot come up.
export function bringUp(extraArgs: string[]): void {
  const root = resolve(import.meta.dirname, '../..');
  execFileSync('bash', [resolve(root, 'hack/cluster/up.sh'), ...extraArgs], { stdio: 'inherit', cwd: root });
  process.env.KUBECONFIG = resolve(root, '.cluster/kubeconfig');
}
