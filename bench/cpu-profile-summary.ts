// What a V8 .cpuprofile says about where the operator's CPU went (pure, unit-tested): self time
// by function and by where the code lives (a package under node_modules, coderun's own sources,
// Node's internals, or V8's pseudo-frames such as garbage collection and idle).
import { z } from 'zod';

const CpuProfile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      hitCount: z.number().optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

export interface ProfileSummary {
  /** The profile's length, ms. */
  wallMs: number;
  /** Sampled time off idle, ms: the process's CPU as V8 saw it. */
  busyMs: number;
  /** Self time by where the code lives, largest first, ms. */
  byArea: Array<{ area: string; selfMs: number; share: number }>;
  /** Functions with the most self time, ms. */
  topFunctions: Array<{ function: string; area: string; selfMs: number }>;
}

/** Where a frame's code lives. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(?:dist|src)\/([a-z-]+)\//.exec(url);
  return own ? `coderun ${own[1]}` : 'other';
}

export function summarizeCpuProfile(raw: unknown, top = 15): ProfileSummary {
  const profile = CpuProfile.parse(raw);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // The delta before a sample is the time it stands for (V8's own convention).
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(url, functionName);
    if (area === '(idle)') continue;
    busyUs += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${lineNumber + 1}`;
    const f = functions.get(name) ?? { area, us: 0 };
    f.us += us;
    functions.set(name, f);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    wallMs: ms(profile.endTime - profile.startTime),
    busyMs: ms(busyUs),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: ms(us), share: busyUs === 0 ? 0 : Math.round((us / busyUs) * 1000) / 1000 })),
    topFunctions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, f]) => ({ function: fn, area: f.area, selfMs: ms(f.us) })),
  };
}
