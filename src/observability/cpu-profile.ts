// An on-demand CPU profile of this process, for GET /debug/cpu-profile (opt-in, like Go's
// net/http/pprof in controller-runtime's managers): V8's sampling profiler through the
// in-process inspector, returned in the .cpuprofile format that Chrome DevTools and speedscope
// open. The profiler samples only while a profile is taken.
import { Session } from 'node:inspector/promises';

/** Bounds of `seconds`: long enough for a burst, short enough not to hold a request forever. */
export const CPU_PROFILE_SECONDS = { min: 1, max: 120, default: 10 } as const;

export class CpuProfiler {
  private busy = false;

  /** Profiles for `seconds`; undefined if a profile is already being taken (one at a time). */
  async profile(seconds: number, signal?: AbortSignal): Promise<object | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    const session = new Session();
    session.connect();
    try {
      await session.post('Profiler.enable');
      // 1 ms (the default) resolves a warm run's stages, which take milliseconds.
      await session.post('Profiler.setSamplingInterval', { interval: 1000 });
      await session.post('Profiler.start');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      const { profile } = await session.post('Profiler.stop');
      return profile;
    } finally {
      session.disconnect();
      this.busy = false;
    }
  }
}
