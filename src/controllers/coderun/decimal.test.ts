import { DecimalReader } from './decimal.js';

function read(token: string): number | undefined {
  const reader = new DecimalReader();
  reader.push(0x31); // a token read before: reset must forget it
  reader.reset();
  for (const byte of Buffer.from(token, 'utf8')) reader.push(byte);
  return reader.value();
}

// The syntax float mode has always accepted, written as the regular expression it replaces.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

describe('DecimalReader', () => {
  test.each([
    '0', '7', '-7', '+7', '3.25', '-0.5', '.5', '-.5', '+.5e-3', '1.', '1.e5', '1e5', '1E+5', '1e-5', '007', '0.000', '-0',
    '123456789012345678901234567890', '0.1', '0.2', '0.30000000000000004', '1.7976931348623157e308', '1.8e308', '5e-324', '2e-324',
    '4.9406564584124654e-324', '2.2250738585072011e-308', '9007199254740993', '1e-400', '1e400', '1e0000000000000000000001',
  ])('%s reads as Number() does', (token) => {
    expect(NUMBER.test(token)).toBe(true);
    expect(read(token)).toBe(Number(token));
  });

  test.each(['', '+', '-', '.', '+.', '1e', '1e+', 'e5', '.e5', '--1', '+-1', '1.2.3', '1e5.0', '1e5e5', '0x10', 'inf', 'nan', 'Infinity', '1_000', '1,5', '١', '1 ', ' 1'])(
    '%j is not a decimal number',
    (token) => {
      expect(NUMBER.test(token)).toBe(false);
      expect(read(token)).toBeUndefined();
    },
  );

  test.each([
    ['2000 digits', '9'.repeat(2000)],
    ['2000 digits after the point', `0.${'1'.repeat(2000)}`],
    ['a tie broken only by a digit past the 772nd', `9007199254740993${'0'.repeat(800)}1e-801`],
    ['the same tie, not broken', `9007199254740993${'0'.repeat(800)}e-800`],
    ['many leading zeros', `${'0'.repeat(3000)}1.5`],
    ['many zeros after the point', `0.${'0'.repeat(3000)}15e3000`],
    ['a long exponent', `1e-${'0'.repeat(2000)}7`],
    ['an exponent past every cap', `1e${'9'.repeat(40)}`],
    ['a negative exponent past every cap', `1e-${'9'.repeat(40)}`],
  ])('%s: the nearest double, as Number() reads it', (_name, token) => {
    expect(read(token)).toBe(Number(token));
  });

  test('a huge number with a huge fraction and a negative exponent', () => {
    const token = `${'1'.repeat(5000)}.${'2'.repeat(5000)}e-4990`;
    expect(read(token)).toBe(Number(token));
  });
});
