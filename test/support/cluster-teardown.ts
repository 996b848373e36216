import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// e2e globalTeardown: the suites installed the release with settings of their own; put back what
// `npm run up` installs (hack/stack/install.sh), so that the user's installation is as it was.
// CommonJS like the globalSetup: imports nothing relative.
export default function teardown(_globalConfig: unknown, project: { rootDir: string }): void {
  execFileSync('bash', [resolve(project.rootDir, 'hack/stack/install.sh')], { stdio: 'inherit', cwd: project.rootDir });
}
