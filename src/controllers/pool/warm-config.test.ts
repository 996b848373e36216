import { loadWarmPoolConfig } from './warm-config.js';

describe('loadWarmPoolConfig', () => {
  it('defaults to no wait: cold at once', () => {
    expect(loadWarmPoolConfig({})).toEqual({ warmWaitMs: 0 });
  });
  it('reads CODERUN_WARM_WAIT_MS', () => {
    expect(loadWarmPoolConfig({ CODERUN_WARM_WAIT_MS: '1500' })).toEqual({ warmWaitMs: 1500 });
  });
  it('rejects a bad value naming the variable', () => {
    expect(() => loadWarmPoolConfig({ CODERUN_WARM_WAIT_MS: '-1' })).toThrow(/CODERUN_WARM_WAIT_MS/);
  });
});
