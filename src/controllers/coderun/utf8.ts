// UTF-8 facts about byte positions in program output, which may or may not be UTF-8.
import { isUtf8 } from 'node:buffer';

/** A byte 10xxxxxx: the second, third or fourth byte of a character, never its start. */
export function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * Where the character that contains byte `index` starts: `index` backed up over at most 3
 * continuation bytes (a character has at most 4 bytes). `index` may be bytes.length.
 */
export function charStart(bytes: Uint8Array, index: number): number {
  let i = index;
  while (i > 0 && index - i < 3 && isContinuationByte(bytes[i] ?? 0)) i--;
  return i;
}

/** The byte length of the valid UTF-8 character at `index` (1 to 4), or 0 when there is none. */
export function charLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index];
  if (lead === undefined) return 0;
  const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  // The lead byte gives the length; isUtf8 rejects what else is wrong (overlong, surrogates, too short).
  return length > 1 && !isUtf8(bytes.subarray(index, index + length)) ? 0 : length;
}
