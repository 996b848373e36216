import { loadConfig } from './config.js';

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      sandboxNamespace: 'coderun-sandbox',
      runnerImage: 'coderun.local/runner:dev',
      imagePullPolicy: 'IfNotPresent',
      workers: 16,
      statusOutputBytes: 4096,
      referenceGraceMs: 10_000,
      runtimeReadyWaitMs: 120_000,
      podStartTimeoutMs: 300_000,
      maxAttempts: 3,
      warmWaitMs: 0,
      userNamespaces: false,
      metricsPort: 8080,
      leaderElection: true,
      manageNamespaces: true,
    });
  });

  test('values are read from the environment', () => {
    const c = loadConfig({ CODERUN_WORKERS: '4', CODERUN_HOST_USERS: 'false', CODERUN_LEADER_ELECTION: 'false', CODERUN_WARM_WAIT_MS: '1500', CODERUN_MANAGE_NAMESPACES: 'false' });
    expect(c.workers).toBe(4);
    expect(c.warmWaitMs).toBe(1500);
    expect(c.userNamespaces).toBe(true);
    expect(c.leaderElection).toBe(false);
    expect(c.manageNamespaces).toBe(false);
  });

  test.each([
    [{ CODERUN_WORKERS: '0' }, 'CODERUN_WORKERS'],
    [{ CODERUN_WORKERS: 'many' }, 'CODERUN_WORKERS'],
    [{ CODERUN_HOST_USERS: 'yes' }, 'CODERUN_HOST_USERS'],
    [{ CODERUN_IMAGE_PULL_POLICY: 'Sometimes' }, 'CODERUN_IMAGE_PULL_POLICY'],
    [{ CODERUN_WARM_WAIT_MS: '-1' }, 'CODERUN_WARM_WAIT_MS'],
    [{ CODERUN_SANDBOX_NAMESPACE: 'Sandbox_NS' }, 'CODERUN_SANDBOX_NAMESPACE'],
  ])('a bad value %j names the variable', (source, variable) => {
    expect(() => loadConfig(source)).toThrow(variable);
  });
});
