import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { operatorVersion, registerBuildInfo } from './build-info.js';
import { createRegistry } from './registry.js';

describe('coderun_build_info', () => {
  it('reports 1 with the version of package.json and the running Node.js', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(operatorVersion()).toBe(version);
    const registry = createRegistry({ processMetrics: false });
    registerBuildInfo(registry);
    expect(await registry.metrics()).toContain(`coderun_build_info{version="${version}",nodejs_version="${process.version}"} 1`);
  });
});
