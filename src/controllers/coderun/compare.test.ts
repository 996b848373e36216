import { compareOutput, numbersClose } from './compare.js';
import type { Compare } from '../../crds/coderun.js';

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
    expect(compareOutput(actual, expected, compare).equal).toBe(equal);
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
    const result = compareOutput(actual, expected, compare);
    expect(result).toEqual({ equal: false, difference: expect.stringContaining(difference) });
  });

  test('a long difference is shown as an excerpt', () => {
    const result = compareOutput('x'.repeat(1000), 'y'.repeat(1000), exact);
    expect(result.equal).toBe(false);
    if (!result.equal) expect(result.difference.length).toBeLessThan(200);
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
