import type { RuntimeSpec } from '../crds/runtime.js';
import type { ResolvedLimits } from './limits.js';
import type { TestResult } from './runner-protocol.js';

// Shared inputs of this folder's unit tests: two Runtimes shaped like the standard ones.

export const PYTHON3: RuntimeSpec = {
  image: 'python:3.12-slim',
  sourceFile: 'main.py',
  run: { command: ['python3', 'main.py'] },
  limits: {
    default: { cpuTimeMillis: 2000, wallTimeMillis: 5000, memoryMiB: 256, outputBytes: 65536, processes: 16, fileSizeBytes: 1048576 },
    max: { cpuTimeMillis: 10000, wallTimeMillis: 20000, memoryMiB: 1024, outputBytes: 1048576, processes: 64, fileSizeBytes: 16777216 },
  },
};

export const CPP: RuntimeSpec = {
  image: 'gcc:14',
  sourceFile: 'main.cpp',
  compile: { command: ['g++', '-O2', '-o', 'main', 'main.cpp'] },
  run: { command: ['./main'] },
  limits: PYTHON3.limits,
  runtimeClassName: 'gvisor',
};

export const LIMITS: ResolvedLimits = { run: PYTHON3.limits.default, compile: undefined };

/** Changes to a test result, its outputs given as text. */
export type TestChanges = Partial<Omit<TestResult, 'stdout' | 'stderr'>> & { stdout?: string; stderr?: string };

/** A test the runner finished normally with exit 0 and the given stdout (UTF-8 text). */
export function passedTest(name: string, stdout: string, changes: TestChanges = {}): TestResult {
  const { stdout: changedStdout = stdout, stderr = '', ...others } = changes;
  return {
    name,
    exitCode: 0,
    signal: null,
    cpuTimeMillis: 12,
    wallTimeMillis: 20,
    memoryKiB: 9000,
    stdout: Buffer.from(changedStdout, 'utf8'),
    stderr: Buffer.from(stderr, 'utf8'),
    stdoutTruncated: false,
    stderrTruncated: false,
    limitExceeded: null,
    ...others,
  };
}
