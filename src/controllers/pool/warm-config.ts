// Warm pool settings of the operator, from the environment (parsed once at start).
import { z } from 'zod';

const env = z.object({
  CODERUN_WARM_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(0),
});

export interface WarmPoolConfig {
  /**
   * How long a run whose Runtime has a pool may wait for an idle pool pod before it takes the
   * cold path. 0 (the default): cold at once; see the README for why.
   */
  warmWaitMs: number;
}

export function loadWarmPoolConfig(source: NodeJS.ProcessEnv): WarmPoolConfig {
  const parsed = env.safeParse(source);
  if (!parsed.success) throw new Error(`invalid warm pool configuration:\n${z.prettifyError(parsed.error)}`);
  return { warmWaitMs: parsed.data.CODERUN_WARM_WAIT_MS };
}
