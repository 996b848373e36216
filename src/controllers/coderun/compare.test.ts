import { compareOutput, isWhitespace, numbersClose } from './compare.js';
import type { Compare } from '../../crds/coderun.js';
import { Meter, runSteps } from './steps.js';

type Output = string | Buffer;
const bytesOf = (output: Output) => (typeof output === 'string' ? Buffer.from(output, 'utf8') : output);

/** compareOutput on two outputs (text stands for its UTF-8 bytes), run to the end. */
const compareAll = (actual: Output, expected: Output, compare: Compare | undefined, meter = new Meter()) =>
  runSteps(compareOutput(bytesOf(actual), bytesOf(expected), compare, meter));

const exact: Compare = { mode: 'exact' };
const trim: Compare = { mode: 'trimTrailingWhitespace' };
const tokens: Compare = { mode: 'tokens' };
const float: Compare = { mode: 'float' };

describe('compareOutput', () => {
  test.each<[string, Compare | undefined, string, string, boolean]>([
    ['exact: equal', exact, '3\n', '3\n', true],
    ['exact: default mode is exact', undefined, '3\n', '3', false],
    ['exact: missing newline differs', exact, '3', '3\n', false],
    ['exact: trailing space differs', exact, '3 \n', '3\n', false],
    ['exact: CRLF differs', exact, '3\r\n', '3\n', false],
    ['exact: empty equals empty', exact, '', '', true],
    ['trim: trailing spaces ignored', trim, '1 2  \n3\t\n', '1 2\n3\n', true],
    ['trim: missing final newline ignored', trim, '1 2\n3', '1 2\n3\n', true],
    ['trim: trailing empty lines ignored', trim, '1\n\n\n', '1\n', true],
    ['trim: CRLF ignored', trim, '1\r\n2\r\n', '1\n2\n', true],
    ['trim: leading spaces matter', trim, ' 1\n', '1\n', false],
    ['trim: inner spaces matter', trim, '1  2\n', '1 2\n', false],
    ['trim: an empty line in the middle matters', trim, '1\n\n2\n', '1\n2\n', false],
    ['tokens: any whitespace separates', tokens, '1   2\n\n3\t4', '1 2 3 4\n', true],
    ['tokens: leading whitespace ignored', tokens, '\n  1 2', '1 2', true],
    ['tokens: different token', tokens, '1 2 4', '1 2 3', false],
    ['tokens: numbers compared as text', tokens, '1.0', '1', false],
    ['tokens: extra token', tokens, '1 2 3', '1 2', false],
    ['tokens: missing token', tokens, '1', '1 2', false],
    ['float: within default abs tolerance', float, '0.3333334', '0.3333333', true],
    ['float: beyond default tolerance', float, '0.334', '0.333', false],
    ['float: within rel tolerance of a large number', { mode: 'float', absTolerance: 0, relTolerance: 1e-6 }, '1000000.5', '1000000', true],
    ['float: beyond rel tolerance', { mode: 'float', absTolerance: 0, relTolerance: 1e-9 }, '1000000.5', '1000000', false],
    ['float: within custom abs tolerance', { mode: 'float', absTolerance: 0.01, relTolerance: 0 }, '2.005', '2', true],
    ['float: exponent notation', float, '1.0e3', '1000', true],
    ['float: sign and leading dot', float, '-.5', '-0.5000000001', true],
    ['float: words compared exactly', float, 'YES 1.0000001', 'YES 1', true],
    ['float: differing words', float, 'yes 1', 'YES 1', false],
    ['float: nan is a word, not a number', float, 'nan', 'nan', true],
    ['float: a number against a word', float, '1', 'one', false],
    ['float: hex is a word', float, '0x10', '16', false],
    ['float: token count differs', float, '1 2', '1 2 3', false],
  ])('%s', (_name, compare, actual, expected, equal) => {
    expect(compareAll(actual, expected, compare).equal).toBe(equal);
  });

  test.each<[string, Compare, string, string, string]>([
    ['exact names the line and both texts', exact, 'a\nb\nX\n', 'a\nb\nc\n', 'character 5 (line 3): expected "c\\n", got "X\\n"'],
    ['exact says when output is short', exact, '1\n', '1\n2\n', 'output ends early at line 2; expected more: "2\\n"'],
    ['exact says when output is long', exact, '1\n2\n', '1\n', 'extra text after the expected end (line 2): "2\\n"'],
    ['trim names the line', trim, '1\n2\n', '1\n3\n', 'line 2 differs: expected "3", got "2"'],
    ['trim counts lines', trim, '1\n', '1\n2\n', 'output has 1 lines, expected 2; line 2 missing: expected "2"'],
    ['tokens names the token', tokens, '1 2 4', '1 2 3', 'token 3 differs: expected "3", got "4"'],
    ['float names the tolerance', float, '1.5', '1', 'token 1 differs beyond tolerance (abs 0.000001, rel 0.000001): expected "1", got "1.5"'],
    ['float word mismatch has no tolerance note', float, 'no', 'yes', 'token 1 differs: expected "yes", got "no"'],
  ])('%s', (_name, compare, actual, expected, difference) => {
    const result = compareAll(actual, expected, compare);
    expect(result).toEqual({ equal: false, difference: expect.stringContaining(difference) });
  });

  test('a long difference is shown as an excerpt', () => {
    const result = compareAll('x'.repeat(1000), 'y'.repeat(1000), exact);
    expect(result.equal).toBe(false);
    if (!result.equal) expect(result.difference.length).toBeLessThan(200);
  });
});

const bytes = (...values: number[]) => Buffer.from(values);
const REPLACEMENT_TWICE = '\uFFFD\uFFFD'; // EF BF BD EF BF BD: what FF FE used to become

describe('compareOutput compares bytes', () => {
  test.each<[string, Compare, Output, Output, boolean]>([
    ['exact: FF FE is not two U+FFFD', exact, bytes(0xff, 0xfe), REPLACEMENT_TWICE, false],
    ['exact: the same invalid bytes are equal', exact, bytes(0xff, 0xfe, 0x0a), bytes(0xff, 0xfe, 0x0a), true],
    ['exact: invalid bytes differ from each other', exact, bytes(0xff), bytes(0xfe), false],
    ['trim: FF FE is not two U+FFFD', trim, bytes(0xff, 0xfe, 0x0a), `${REPLACEMENT_TWICE}\n`, false],
    ['tokens: FF FE is not two U+FFFD', tokens, bytes(0x31, 0x20, 0xff, 0xfe), `1 ${REPLACEMENT_TWICE}`, false],
    ['float: FF FE is not two U+FFFD', float, bytes(0xff, 0xfe), REPLACEMENT_TWICE, false],
    ['tokens: invalid bytes are token content', tokens, bytes(0x20, 0xc3, 0x0a), bytes(0xc3), true],
    ['trim: \v, \f and \r are trailing whitespace too', trim, '1\v\f\r \t\n2\r\n\r\n', '1\n2', true],
    ['trim: CRLF and trailing blanks together', trim, '1 2 \r\n3\t\r\n\r\n  \r\n', '1 2\n3\n', true],
    ['trim: a lone CR inside a line matters', trim, '1\r2\n', '12\n', false],
    ['trim: a no-break space at a line end is content', trim, '1\u00a0\n', '1\n', false],
    ['trim: only whitespace equals empty', trim, ' \r\n\t\n', '', true],
    ['trim: blank lines in the middle matter, at the end not', trim, '1\n \n2\n\n', '1\n\n2', true],
    ['tokens: a no-break space does not separate', tokens, '1\u00a02', '1 2', false],
    ['tokens: \v and \f separate', tokens, '1\v2\f3', '1 2 3', true],
    ['tokens: only whitespace equals empty', tokens, ' \n\t', '', true],
    ['float: the same bytes are equal even when too big for a double', float, '1e400 -1e999', '1e400 -1e999', true],
    ['float: a 60000-digit token ending in a letter is a word', float, `${'1'.repeat(60_000)}a`, `${'1'.repeat(60_000)}a`, true],
    ['float: two such words that differ', float, `${'1'.repeat(60_000)}a`, `${'1'.repeat(60_000)}b`, false],
    ['float: a 60000-digit number within tolerance of its rounding', float, `1${'0'.repeat(59_999)}e-59999`, '1.0000000001', true],
    ['float: digits far past double precision', float, `0.${'3'.repeat(5000)}`, '0.3333333', true],
    ['float: trailing dot and exponent forms', float, '1. 1.e0 .5e+0 +2E-0', '1 1 0.5 2', true],
    ['float: a lone dot or sign is a word', float, '. + -', '0 0 0', false],
    ['float: a dangling exponent is a word', float, '1e', '1', false],
    ['float: inf is a word', float, 'inf', 'Infinity', false],
    ['float: negative zero equals zero', float, '-0.0', '0', true],
    ['exact: a 100000-blank line before a letter', exact, `${' '.repeat(100_000)}x`, `${' '.repeat(100_000)}x`, true],
    ['trim: a 100000-blank line before a letter', trim, `${' '.repeat(100_000)}x\n`, 'x\n', false],
    ['trim: a 100000-blank line end', trim, `x${' '.repeat(100_000)}\n`, 'x\n', true],
  ])('%s', (_name, compare, actual, expected, equal) => {
    expect(compareAll(actual, expected, compare).equal).toBe(equal);
  });

  test.each<[string, Compare, Output, Output, string]>([
    ['exact shows bytes that are not UTF-8 as \\xHH', exact, bytes(0xff, 0xfe), REPLACEMENT_TWICE, `first difference at character 1 (line 1): expected "${REPLACEMENT_TWICE}", got "\\xff\\xfe"`],
    ['exact counts characters, not bytes, and names the character a byte differs in', exact, 'h\u00e9llo', 'h\u00e8llo', 'first difference at character 2 (line 1): expected "\u00e8llo", got "\u00e9llo"'],
    ['exact counts lines before the difference', exact, 'a\r\nb\r\nc', 'a\r\nb\r\nd', 'character 7 (line 3): expected "d", got "c"'],
    ['trim shows a line without its trailing whitespace', trim, '1\n2 \r\n', '1\n3\n', 'line 2 differs: expected "3", got "2"'],
    ['trim counts lines of the longer output', trim, '1\n2\n3\n\n', '1\n', 'output has 3 lines, expected 1; extra line 2: "2"'],
    ['tokens counts tokens of the longer output', tokens, '1', '1 2 3', 'output has 1 tokens, expected 3; token 2 missing: expected "2"'],
    ['tokens shows invalid bytes', tokens, bytes(0x41, 0x80), 'A', 'token 1 differs: expected "A", got "A\\x80"'],
    ['float: a word against a number has no tolerance note', float, '1x', '1', 'token 1 differs: expected "1", got "1x"'],
  ])('%s', (_name, compare, actual, expected, difference) => {
    expect(compareAll(actual, expected, compare)).toEqual({ equal: false, difference: expect.stringContaining(difference) });
  });

  test('an excerpt stops at 40 characters', () => {
    const result = compareAll('\u20ac'.repeat(100), '', exact);
    expect(result).toEqual({ equal: false, difference: `output has extra text after the expected end (line 1): "${'\u20ac'.repeat(40)}..."` });
  });

  test.each([
    [0x20, true], [0x09, true], [0x0a, true], [0x0b, true], [0x0c, true], [0x0d, true],
    [0x08, false], [0x0e, false], [0x1f, false], [0x21, false], [0x85, false], [0xa0, false],
  ])('isWhitespace(0x%s) is %s', (byte, space) => {
    expect(isWhitespace(byte)).toBe(space);
  });
});

// Shapes that made the regular expressions backtrack quadratically, and plain ones, at about n bytes.
const SHAPES: [string, (n: number) => string][] = [
  ['blanks before a letter', (n) => `${' '.repeat(n)}x`],
  ['blanks at a line end', (n) => `x${' '.repeat(n)}\ny`],
  ['blanks at the end', (n) => `x${' \r\n'.repeat(n / 3)}`],
  ['digits before a letter', (n) => `${'1'.repeat(n)}a`],
  ['digits before a dot and a letter', (n) => `${'1'.repeat(n)}.e`],
  ['one huge line', (n) => 'ab'.repeat(n / 2)],
  ['many tiny lines', (n) => 'a\n'.repeat(n / 2)],
  ['many blank lines', (n) => `a${'\n'.repeat(n)}a`],
  ['numbers', (n) => '3.14159 -2.5e3\n'.repeat(n / 16)],
];

const MODES: Compare[] = [exact, trim, tokens, float];

/** The variants of an output compared: itself (a full scan), and with its last byte changed. */
const VARIANTS: [string, (output: string) => string][] = [
  ['equal', (output) => output],
  ['differing at the end', (output) => `${output.slice(0, -1)}${output.endsWith('z') ? 'y' : 'z'}`],
];

function stepsFor(compare: Compare, shape: (n: number) => string, variant: (output: string) => string, n: number): { steps: number; bytes: number } {
  const actual = shape(n);
  const expected = variant(actual);
  const meter = new Meter();
  compareAll(actual, expected, compare, meter);
  return { steps: meter.steps, bytes: Buffer.byteLength(actual) + Buffer.byteLength(expected) };
}

describe('compareOutput is linear in the size of the outputs', () => {
  const n = 1 << 16;
  const cases = MODES.flatMap((compare) => SHAPES.flatMap(([shape, make]) => VARIANTS.map(([variant, change]) => [compare.mode, shape, variant, make, change] as const)));

  test.each(cases)('%s, %s, %s: twice the output is at most 2.5 times the work', (mode, _shape, _variant, make, change) => {
    const once = stepsFor({ mode }, make, change, n);
    const twice = stepsFor({ mode }, make, change, 2 * n);
    expect(once.steps).toBeGreaterThan(0);
    expect(twice.steps / once.steps).toBeLessThanOrEqual(2.5);
    // And a few steps per byte of both outputs, whatever the shape.
    expect(twice.steps).toBeLessThanOrEqual(4 * twice.bytes + 16);
  });

  test('float: numbers within tolerance, each parsed, are linear too', () => {
    const work = (k: number) => {
      const meter = new Meter();
      expect(compareAll('1.0000001 '.repeat(k), '1 '.repeat(k), float, meter).equal).toBe(true);
      return meter.steps;
    };
    expect(work(2 * 8192) / work(8192)).toBeLessThanOrEqual(2.5);
  });

  test.each(MODES.map((c) => [c.mode]))('%s yields after each slice: no slice does much more than its share of work', (mode) => {
    const slice = 1024;
    const actual = Buffer.from(`${' '.repeat(50_000)}${'7'.repeat(50_000)}\n`.repeat(3));
    const meter = new Meter(slice);
    const steps = compareOutput(actual, Buffer.from(actual), { mode }, meter);
    let last = 0;
    let widest = 0;
    for (let next = steps.next(); !next.done; next = steps.next()) {
      widest = Math.max(widest, meter.steps - last);
      last = meter.steps;
    }
    expect(meter.steps).toBeGreaterThanOrEqual(actual.length); // it did look at the whole output
    expect(widest).toBeLessThanOrEqual(slice + 4096); // a slice, plus at most one native comparison
  });
});

describe('numbersClose', () => {
  test.each([
    [1, 1, 0, 0, true],
    [1.1, 1, 0.1, 0, true],
    [1.2, 1, 0.1, 0, false],
    [110, 100, 0, 0.1, true],
    [111, 100, 0, 0.1, false],
    [-1, 1, 1, 1, false],
  ])('|%d - %d| with abs %d rel %d → %s', (a, e, abs, rel, close) => {
    expect(numbersClose(a, e, abs, rel)).toBe(close);
  });
});
