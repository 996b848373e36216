import { isUtf8 } from 'node:buffer';
import type { CodeRunStatus, CompileStatus, RunPath, TestStatus, Verdict } from '../../crds/coderun.js';
import type { Condition } from '../../crds/common.js';
import type { Encoding } from '../../sandbox/runner-protocol.js';
import { charStart } from './utf8.js';
import type { InvalidReason } from './validate.js';
import type { Judgement, TestJudgement } from './verdict.js';

/** How much program output the status keeps; comparison always used the full output. */
export interface StatusConfig {
  /** Bytes kept of each stdout, stderr and compiler output. */
  outputBytes: number;
  /** Bytes of output over the whole status; with many tests each field gets a share of it. */
  outputBudgetBytes: number;
  /** Bytes kept of each verdict message. */
  messageBytes: number;
}

// 256 KiB of output at most keeps a status with 512 tests well under etcd's 1.5 MB object limit.
export const DEFAULT_STATUS_CONFIG: StatusConfig = { outputBytes: 4096, outputBudgetBytes: 262_144, messageBytes: 1024 };

/** Cuts text to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  return { text: bytes.subarray(0, charStart(bytes, Math.max(0, maxBytes))).toString('utf8'), truncated: true };
}

/** A program output as the status keeps it. */
export interface StatusOutput {
  text: string;
  encoding: Encoding;
  /** Fewer bytes are kept than the output has. */
  truncated: boolean;
}

/**
 * A program output cut to at most maxBytes in the status: its text, cut at a character boundary,
 * when the bytes kept are UTF-8; else the base64 of as many bytes as fit maxBytes once encoded
 * (3 bytes for every 4 characters), so that nothing kept is lost or replaced.
 */
export function statusOutput(bytes: Buffer, maxBytes: number): StatusOutput {
  const max = Math.max(0, maxBytes);
  const textEnd = bytes.length <= max ? bytes.length : charStart(bytes, max);
  const text = bytes.subarray(0, textEnd);
  if (isUtf8(text)) return { text: text.toString('utf8'), encoding: 'utf8', truncated: textEnd < bytes.length };
  const binaryEnd = Math.min(bytes.length, Math.floor(max / 4) * 3);
  return { text: bytes.subarray(0, binaryEnd).toString('base64'), encoding: 'base64', truncated: binaryEnd < bytes.length };
}

/** RFC 3339 with seconds, as metav1.Time is written. */
export function conditionTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function condition(type: string, status: Condition['status'], reason: string, message: string, now: Date, observedGeneration: number | undefined): Condition {
  const c: Condition = { type, status, reason, message, lastTransitionTime: conditionTime(now) };
  if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
  return c;
}

/** Bytes each output field may keep: the configured size, or a fair share of the budget. */
export function outputShare(testCount: number, config: StatusConfig): number {
  return Math.min(config.outputBytes, Math.floor(config.outputBudgetBytes / (2 * testCount + 1)));
}

const int = (n: number) => Math.round(n);

function testStatus(t: TestJudgement, share: number, config: StatusConfig): TestStatus {
  const out: TestStatus = { name: t.name, verdict: t.verdict, message: truncateUtf8(t.message, config.messageBytes).text };
  const r = t.result;
  if (r === undefined) return out;
  const stdout = statusOutput(r.stdout, share);
  const stderr = statusOutput(r.stderr, share);
  if (r.exitCode !== null) out.exitCode = r.exitCode;
  if (r.signal !== null) out.signal = r.signal;
  out.cpuTimeMillis = int(r.cpuTimeMillis);
  out.wallTimeMillis = int(r.wallTimeMillis);
  out.memoryKiB = int(r.memoryKiB);
  out.stdout = stdout.text;
  if (stdout.encoding === 'base64') out.stdoutEncoding = 'base64';
  out.stderr = stderr.text;
  if (stderr.encoding === 'base64') out.stderrEncoding = 'base64';
  out.truncated = stdout.truncated || stderr.truncated || r.stdoutTruncated || r.stderrTruncated;
  return out;
}

function compileStatus(judgement: Judgement, share: number): CompileStatus | undefined {
  const c = judgement.compile;
  if (!c) return undefined;
  const output = statusOutput(c.output, share);
  const out: CompileStatus = { output: output.text, truncated: output.truncated || c.outputTruncated, cpuTimeMillis: int(c.cpuTimeMillis), wallTimeMillis: int(c.wallTimeMillis) };
  if (output.encoding === 'base64') out.outputEncoding = 'base64';
  if (c.exitCode !== null) out.exitCode = c.exitCode;
  if (c.signal !== null) out.signal = c.signal;
  return out;
}

export interface RunRecord {
  path: RunPath | undefined;
  podName: string | undefined;
  attempts: number;
  startedAt: Date | undefined;
  observedGeneration: number | undefined;
}

export interface FinishedStatusInput extends RunRecord {
  judgement: Judgement;
  finishedAt: Date;
}

function record(input: RunRecord): CodeRunStatus {
  const out: CodeRunStatus = { attempts: input.attempts };
  if (input.path) out.path = input.path;
  if (input.podName) out.podName = input.podName;
  if (input.startedAt) out.startedAt = input.startedAt.toISOString();
  if (input.observedGeneration !== undefined) out.observedGeneration = input.observedGeneration;
  return out;
}

/**
 * The whole final status, written once: phase Completed with the verdict, or Failed when the
 * verdict is SystemError; per-test results with outputs cut to the configured size; the
 * maxima over the tests.
 */
export function buildFinishedStatus(input: FinishedStatusInput, config: StatusConfig = DEFAULT_STATUS_CONFIG): CodeRunStatus {
  const { judgement, finishedAt } = input;
  const share = outputShare(judgement.tests.length, config);
  const score = judgement.score;
  const tests = judgement.tests.map((t, i) => {
    const out = testStatus(t, share, config);
    const points = score?.tests?.[i];
    return points === undefined ? out : { ...out, score: points };
  });
  const measured = judgement.tests.flatMap((t) => (t.result ? [t.result] : []));
  const failed = judgement.verdict === 'SystemError';
  const message = truncateUtf8(judgement.message, config.messageBytes).text;
  const status: CodeRunStatus = {
    phase: failed ? 'Failed' : 'Completed',
    verdict: judgement.verdict,
    message,
    ...record(input),
    tests,
    finishedAt: finishedAt.toISOString(),
    conditions: [
      condition('Valid', 'True', 'Valid', 'the spec is valid', finishedAt, input.observedGeneration),
      condition('Completed', 'True', judgement.verdict, message, finishedAt, input.observedGeneration),
    ],
  };
  if (score) {
    status.score = score.score;
    status.maxScore = score.maxScore;
    if (score.subtasks) status.subtasks = score.subtasks.map((st) => ({ ...st, message: truncateUtf8(st.message, config.messageBytes).text }));
  }
  const compile = compileStatus(judgement, share);
  if (compile) status.compile = compile;
  if (measured.length > 0) {
    status.cpuTimeMillis = int(Math.max(...measured.map((r) => r.cpuTimeMillis)));
    status.wallTimeMillis = int(Math.max(...measured.map((r) => r.wallTimeMillis)));
    status.memoryKiB = int(Math.max(...measured.map((r) => r.memoryKiB)));
  }
  return status;
}

/** SystemError: the sandbox failed, so no test was judged. Phase Failed. */
export function buildSystemErrorStatus(input: RunRecord & { message: string; finishedAt: Date }, config: StatusConfig = DEFAULT_STATUS_CONFIG): CodeRunStatus {
  const judgement: Judgement = { verdict: 'SystemError' satisfies Verdict, message: input.message, compile: undefined, tests: [] };
  return buildFinishedStatus({ ...input, judgement }, config);
}

/** An invalid spec: phase Failed, no verdict, Valid=False saying what to change. Never retried. */
export function buildInvalidStatus(
  input: { reason: InvalidReason; message: string; now: Date; observedGeneration: number | undefined },
  config: StatusConfig = DEFAULT_STATUS_CONFIG,
): CodeRunStatus {
  const message = truncateUtf8(input.message, config.messageBytes).text;
  const status: CodeRunStatus = {
    phase: 'Failed',
    message,
    finishedAt: input.now.toISOString(),
    conditions: [condition('Valid', 'False', input.reason, message, input.now, input.observedGeneration)],
  };
  if (input.observedGeneration !== undefined) status.observedGeneration = input.observedGeneration;
  return status;
}

/** A run handed to a sandbox pod: phase Running, which pod, which attempt, since when. */
export function buildRunningStatus(input: RunRecord & { now: Date }): CodeRunStatus {
  return {
    phase: 'Running',
    ...record(input),
    conditions: [condition('Valid', 'True', 'Valid', 'the spec is valid', input.now, input.observedGeneration)],
  };
}
