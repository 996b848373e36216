import { charLength, charStart, isContinuationByte } from './utf8.js';

const bytes = (...values: number[]) => Buffer.from(values);

test.each([
  [0x41, false],
  [0x7f, false],
  [0x80, true],
  [0xbf, true],
  [0xc3, false],
  [0xff, false],
])('isContinuationByte(0x%s) is %s', (byte, continuation) => {
  expect(isContinuationByte(byte)).toBe(continuation);
});

describe('charStart', () => {
  test.each<[string, Buffer, number, number]>([
    ['ASCII stays', Buffer.from('abc'), 1, 1],
    ['inside é backs up to its lead byte', Buffer.from('h\u00e9'), 2, 1],
    ['inside € (3 bytes)', Buffer.from('\u20ac'), 2, 0],
    ['inside a 4-byte character', Buffer.from('\u{1f600}'), 3, 0],
    ['at the end stays', Buffer.from('h\u00e9'), 3, 3],
    ['at 0 stays', bytes(0x80, 0x80), 0, 0],
    ['never more than 3 bytes back', bytes(0x41, 0x80, 0x80, 0x80, 0x80), 4, 1],
  ])('%s', (_name, input, index, start) => {
    expect(charStart(input, index)).toBe(start);
  });
});

describe('charLength', () => {
  test.each<[string, Buffer, number]>([
    ['ASCII', Buffer.from('a'), 1],
    ['é', Buffer.from('\u00e9'), 2],
    ['€', Buffer.from('\u20ac'), 3],
    ['a 4-byte character', Buffer.from('\u{1f600}'), 4],
    ['a lone continuation byte', bytes(0x80), 0],
    ['FF', bytes(0xff), 0],
    ['a lead byte cut short', bytes(0xe2, 0x82), 0],
    ['an overlong encoding of "/"', bytes(0xc0, 0xaf), 0],
    ['an overlong 3-byte encoding', bytes(0xe0, 0x80, 0xaf), 0],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80), 0],
    ['past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['past the end', Buffer.alloc(0), 0],
  ])('%s', (_name, input, length) => {
    expect(charLength(input, 0)).toBe(length);
  });
});
