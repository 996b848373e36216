import type { Compare } from '../../crds/coderun.js';

/** Default tolerances of compare.mode float when the CodeRun sets none. */
export const DEFAULT_ABS_TOLERANCE = 1e-6;
export const DEFAULT_REL_TOLERANCE = 1e-6;

export type Comparison = { equal: true } | { equal: false; difference: string };

const EXCERPT_CHARS = 40;

function show(text: string): string {
  return JSON.stringify(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text);
}

function compareExact(actual: string, expected: string): Comparison {
  if (actual === expected) return { equal: true };
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const line = expected.slice(0, i).split('\n').length;
  if (i === expected.length) return { equal: false, difference: `output has extra text after the expected end (line ${line}): ${show(actual.slice(i))}` };
  if (i === actual.length) return { equal: false, difference: `output ends early at line ${line}; expected more: ${show(expected.slice(i))}` };
  return { equal: false, difference: `first difference at character ${i + 1} (line ${line}): expected ${show(expected.slice(i))}, got ${show(actual.slice(i))}` };
}

/** Lines without trailing blanks, and without trailing empty lines. */
function normalizedLines(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+$/, ''));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

function compareTrimmed(actual: string, expected: string): Comparison {
  const a = normalizedLines(actual);
  const e = normalizedLines(expected);
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] === e[i]) continue;
    if (a[i] === undefined) return { equal: false, difference: `output has ${a.length} lines, expected ${e.length}; line ${i + 1} missing: expected ${show(e[i] ?? '')}` };
    if (e[i] === undefined) return { equal: false, difference: `output has ${a.length} lines, expected ${e.length}; extra line ${i + 1}: ${show(a[i] ?? '')}` };
    return { equal: false, difference: `line ${i + 1} differs: expected ${show(e[i] ?? '')}, got ${show(a[i] ?? '')}` };
  }
  return { equal: true };
}

const tokens = (text: string) => text.split(/\s+/).filter((t) => t !== '');

// A decimal number, as judges print them: no hex, no "inf"/"nan" (those compare as text).
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type TokenMatch = (actual: string, expected: string) => boolean;

function compareTokens(actual: string, expected: string, match: TokenMatch, how: (actual: string, expected: string) => string): Comparison {
  const a = tokens(actual);
  const e = tokens(expected);
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    const at = a[i];
    const et = e[i];
    if (at === undefined) return { equal: false, difference: `output has ${a.length} tokens, expected ${e.length}; token ${i + 1} missing: expected ${show(et ?? '')}` };
    if (et === undefined) return { equal: false, difference: `output has ${a.length} tokens, expected ${e.length}; extra token ${i + 1}: ${show(at)}` };
    if (!match(at, et)) return { equal: false, difference: `token ${i + 1} differs${how(at, et)}: expected ${show(et)}, got ${show(at)}` };
  }
  return { equal: true };
}

/**
 * Whether two number tokens are within tolerance: |a-e| <= abs, or |a-e| <= rel * |e|, give or
 * take the rounding of the subtraction itself (so 1.1 is within 0.1 of 1).
 */
export function numbersClose(actual: number, expected: number, absTolerance: number, relTolerance: number): boolean {
  const diff = Math.abs(actual - expected);
  const rounding = 4 * Number.EPSILON * Math.max(1, Math.abs(actual), Math.abs(expected));
  return diff <= absTolerance + rounding || diff <= relTolerance * Math.abs(expected) + rounding;
}

/**
 * Compares a program's full stdout with the expected output:
 * - exact: byte for byte;
 * - trimTrailingWhitespace: line by line, ignoring blanks at line ends and empty lines at the end
 *   (and CRLF line ends);
 * - tokens: the whitespace-separated tokens are equal;
 * - float: tokens; where both are decimal numbers they may differ by absTolerance or
 *   relTolerance (default 1e-6 each), other tokens must be equal.
 */
export function compareOutput(actual: string, expected: string, compare: Compare | undefined): Comparison {
  const mode = compare?.mode ?? 'exact';
  switch (mode) {
    case 'exact':
      return compareExact(actual, expected);
    case 'trimTrailingWhitespace':
      return compareTrimmed(actual, expected);
    case 'tokens':
      return compareTokens(actual, expected, (a, e) => a === e, () => '');
    case 'float': {
      const abs = compare?.absTolerance ?? DEFAULT_ABS_TOLERANCE;
      const rel = compare?.relTolerance ?? DEFAULT_REL_TOLERANCE;
      const numeric = (a: string, e: string) => NUMBER.test(a) && NUMBER.test(e);
      const match: TokenMatch = (a, e) => (numeric(a, e) ? numbersClose(Number(a), Number(e), abs, rel) : a === e);
      return compareTokens(actual, expected, match, (a, e) => (numeric(a, e) ? ` beyond tolerance (abs ${abs}, rel ${rel})` : ''));
    }
  }
}
