// Program output against the expected output. Output is untrusted bytes of any shape, so every
// mode is a scan over bytes that examines each byte a bounded number of times (no regular
// expression, which backtracks quadratically on shapes such as a long blank run before a letter),
// counts its work on a Meter and yields after each slice (see steps.ts).
import type { Compare } from '../../crds/coderun.js';
import { DecimalReader } from './decimal.js';
import { Meter, type Steps } from './steps.js';
import { charLength, charStart, isContinuationByte } from './utf8.js';

/** Default tolerances of compare.mode float when the CodeRun sets none. */
export const DEFAULT_ABS_TOLERANCE = 1e-6;
export const DEFAULT_REL_TOLERANCE = 1e-6;

export type Comparison = { equal: true } | { equal: false; difference: string };

const EQUAL: Comparison = { equal: true };
const differ = (difference: string): Comparison => ({ equal: false, difference });

/**
 * Whitespace, in every mode that ignores some: the ASCII whitespace bytes space, \t, \n, \v, \f
 * and \r. Every other byte is content, whether UTF-8 (a no-break space too) or not.
 */
export function isWhitespace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

const NEWLINE = 0x0a;

// Bytes compared in one go (natively in exact mode) before the meter is told: a slice overruns by less.
const CHUNK = 4096;

const EXCERPT_CHARS = 40;

/** Up to 40 characters of bytes[from, to) for a message, quoted as JSON; bytes that are not UTF-8 as \xHH. */
function show(bytes: Buffer, from: number, to = bytes.length): string {
  let text = '';
  let i = from;
  for (let chars = 0; chars < EXCERPT_CHARS && i < to; chars++) {
    const length = charLength(bytes, i);
    if (length > 0 && i + length <= to) {
      text += JSON.stringify(bytes.toString('utf8', i, i + length)).slice(1, -1);
      i += length;
    } else {
      text += `\\x${(bytes[i] ?? 0).toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return `"${text}${i < to ? '...' : ''}"`;
}

function* compareExact(actual: Buffer, expected: Buffer, meter: Meter): Steps<Comparison> {
  const common = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < common) {
    const from = i;
    const end = Math.min(common, i + CHUNK);
    const differs = actual.compare(expected, from, end, from, end) !== 0;
    if (differs) while (actual[i] === expected[i]) i++;
    else i = end;
    if (meter.add(end - from)) yield;
    if (differs) break;
  }
  if (i === common && actual.length === expected.length) return EQUAL;
  // Report the character the difference is in, not the byte inside it.
  i = charStart(expected, i);
  let line = 1;
  let char = 1;
  for (let j = 0; j < i; j++) {
    const byte = expected[j]!;
    if (byte === NEWLINE) line++;
    if (!isContinuationByte(byte)) char++;
    if (meter.add(1)) yield;
  }
  if (i === expected.length) return differ(`output has extra text after the expected end (line ${line}): ${show(actual, i)}`);
  if (i === actual.length) return differ(`output ends early at line ${line}; expected more: ${show(expected, i)}`);
  return differ(`first difference at character ${char} (line ${line}): expected ${show(expected, i)}, got ${show(actual, i)}`);
}

/** What a scanner's next() found: an item, the end of the output, or a full slice of work (call again). */
type Scan = 'item' | 'end' | 'pause';

/** Finds the items (lines or tokens) of one output in order, a slice of work at most per call. */
interface Scanner {
  readonly bytes: Buffer;
  /** The last item found is bytes[start, end). */
  readonly start: number;
  readonly end: number;
  next(): Scan;
}

/**
 * The lines of trimTrailingWhitespace: split at LF, each without its trailing whitespace (so
 * without the CR of a CRLF), and none after the last one with content.
 */
class LineScanner implements Scanner {
  start = 0;
  end = 0;
  /** After the last byte that is not whitespace: found first, backwards. */
  private contentEnd: number;
  private contentEndFound = false;
  private pos = 0;
  private inLine = false;

  constructor(
    readonly bytes: Buffer,
    private readonly meter: Meter,
  ) {
    this.contentEnd = bytes.length;
  }

  next(): Scan {
    const { bytes, meter } = this;
    if (!this.contentEndFound) {
      while (this.contentEnd > 0 && isWhitespace(bytes[this.contentEnd - 1]!)) {
        this.contentEnd--;
        if (meter.add(1)) return 'pause';
      }
      this.contentEndFound = true;
    }
    if (!this.inLine) {
      if (this.pos >= this.contentEnd) return 'end';
      this.start = this.end = this.pos;
      this.inLine = true;
    }
    let i = this.pos;
    while (i < this.contentEnd && bytes[i] !== NEWLINE) {
      if (!isWhitespace(bytes[i]!)) this.end = i + 1;
      i++;
      if (meter.add(1)) {
        this.pos = i;
        return 'pause';
      }
    }
    this.pos = i + 1; // past the LF, or past contentEnd after the last line
    this.inLine = false;
    return 'item';
  }
}

/** The tokens of tokens and float: maximal runs of bytes that are not whitespace. */
class TokenScanner implements Scanner {
  start = 0;
  end = 0;
  private pos = 0;
  private inToken = false;

  constructor(
    readonly bytes: Buffer,
    private readonly meter: Meter,
  ) {}

  next(): Scan {
    const { bytes, meter } = this;
    let i = this.pos;
    if (!this.inToken) {
      while (i < bytes.length && isWhitespace(bytes[i]!)) {
        i++;
        if (meter.add(1)) {
          this.pos = i;
          return 'pause';
        }
      }
      this.pos = i;
      if (i === bytes.length) return 'end';
      this.start = i;
      this.inToken = true;
    }
    while (i < bytes.length && !isWhitespace(bytes[i]!)) {
      i++;
      if (meter.add(1)) {
        this.pos = i;
        return 'pause';
      }
    }
    this.pos = this.end = i;
    this.inToken = false;
    return 'item';
  }
}

/** Whether a[aStart, aStart + length) and e[eStart, eStart + length) are the same bytes. */
function sameBytes(a: Buffer, aStart: number, e: Buffer, eStart: number, length: number): boolean {
  // A loop beats Buffer.compare on the short items most output has: its call costs ~150 ns.
  for (let i = 0; i < length; i++) if (a[aStart + i] !== e[eStart + i]) return false;
  return true;
}

/** How many items a scanner has in all, when `found` of them have been found already. */
function* countItems(scanner: Scanner, found: number, meter: Meter): Steps<number> {
  let count = found;
  for (;;) {
    const scan = scanner.next();
    if (scan === 'end') return count;
    if (scan === 'item') count++;
    if (scan === 'pause' || meter.add(1)) yield;
  }
}

/** A token as a decimal number (undefined when it is not one), read a byte at a time. */
function* readDecimal(reader: DecimalReader, scanner: Scanner, meter: Meter): Steps<number | undefined> {
  reader.reset();
  for (let i = scanner.start; i < scanner.end; i++) {
    reader.push(scanner.bytes[i]!);
    if (meter.add(1)) yield;
  }
  return reader.value();
}

/** float mode: tokens that are both decimal numbers are equal within these. */
interface Tolerance {
  abs: number;
  rel: number;
}

/**
 * Item by item, the same bytes; or, with a tolerance, numbers within it. The message names the
 * first item that differs, or the item counts when one output has fewer.
 */
function* compareItems(actual: Scanner, expected: Scanner, unit: 'line' | 'token', tolerance: Tolerance | undefined, meter: Meter): Steps<Comparison> {
  const actualDecimal = new DecimalReader();
  const expectedDecimal = new DecimalReader();
  for (let index = 1; ; index++) {
    let a: Scan;
    while ((a = actual.next()) === 'pause') yield;
    let e: Scan;
    while ((e = expected.next()) === 'pause') yield;
    if (a === 'end' && e === 'end') return EQUAL;
    if (a === 'end') {
      const missing = show(expected.bytes, expected.start, expected.end);
      const total = yield* countItems(expected, index, meter);
      return differ(`output has ${index - 1} ${unit}s, expected ${total}; ${unit} ${index} missing: expected ${missing}`);
    }
    if (e === 'end') {
      const extra = show(actual.bytes, actual.start, actual.end);
      const total = yield* countItems(actual, index, meter);
      return differ(`output has ${total} ${unit}s, expected ${index - 1}; extra ${unit} ${index}: ${extra}`);
    }
    const length = actual.end - actual.start;
    let same = length === expected.end - expected.start;
    for (let done = 0; same && done < length; done += CHUNK) {
      const n = Math.min(CHUNK, length - done);
      same = sameBytes(actual.bytes, actual.start + done, expected.bytes, expected.start + done, n);
      if (meter.add(n)) yield;
    }
    if (meter.add(1)) yield; // an item costs a step even when empty (a blank line)
    if (same) continue;
    let beyond = '';
    if (tolerance) {
      const gotNumber = yield* readDecimal(actualDecimal, actual, meter);
      const wantNumber = yield* readDecimal(expectedDecimal, expected, meter);
      if (gotNumber !== undefined && wantNumber !== undefined) {
        if (numbersClose(gotNumber, wantNumber, tolerance.abs, tolerance.rel)) continue;
        beyond = ` beyond tolerance (abs ${tolerance.abs}, rel ${tolerance.rel})`;
      }
    }
    const want = show(expected.bytes, expected.start, expected.end);
    return differ(`${unit} ${index} differs${beyond}: expected ${want}, got ${show(actual.bytes, actual.start, actual.end)}`);
  }
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
 * Compares a program's full stdout with the expected output, as bytes:
 * - exact: byte for byte (bytes that are not UTF-8 too);
 * - trimTrailingWhitespace: line by line (split at LF), ignoring whitespace at line ends (so CR
 *   before LF) and empty lines at the end;
 * - tokens: the tokens (maximal runs of bytes that are not whitespace) are the same bytes;
 * - float: tokens; tokens that differ but are both decimal numbers (optional sign, digits with an
 *   optional dot or a dot and digits, optional exponent; no hex, inf or nan) may differ by
 *   absTolerance or relTolerance (default 1e-6 each).
 * Whitespace is ASCII whitespace (isWhitespace). The work is linear in the sizes of both outputs
 * and is counted on `meter`, yielding after each slice.
 */
export function compareOutput(actual: Buffer, expected: Buffer, compare: Compare | undefined, meter: Meter = new Meter()): Steps<Comparison> {
  const mode = compare?.mode ?? 'exact';
  switch (mode) {
    case 'exact':
      return compareExact(actual, expected, meter);
    case 'trimTrailingWhitespace':
      return compareItems(new LineScanner(actual, meter), new LineScanner(expected, meter), 'line', undefined, meter);
    case 'tokens':
      return compareItems(new TokenScanner(actual, meter), new TokenScanner(expected, meter), 'token', undefined, meter);
    case 'float': {
      const tolerance = { abs: compare?.absTolerance ?? DEFAULT_ABS_TOLERANCE, rel: compare?.relTolerance ?? DEFAULT_REL_TOLERANCE };
      return compareItems(new TokenScanner(actual, meter), new TokenScanner(expected, meter), 'token', tolerance, meter);
    }
  }
}
