import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';

/**
 * The operator's version: package.json's, two levels above this module both in the checkout
 * (src/observability) and in the image (/app/dist/observability, whose /app/package.json
 * hack/images/operator-rootfs.sh writes with the version).
 */
export function operatorVersion(): string {
  const text = readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8');
  return z.object({ version: z.string().min(1) }).parse(JSON.parse(text)).version;
}

/** coderun_build_info: always 1, the labels say which operator and Node.js run. */
export function registerBuildInfo(registry: Registry, version: string = operatorVersion()): void {
  const gauge = new Gauge({
    name: 'coderun_build_info',
    help: 'Always 1; the labels name the running operator version and Node.js version',
    labelNames: ['version', 'nodejs_version'],
    registers: [registry],
  });
  gauge.set({ version, nodejs_version: process.version }, 1);
}
