// The decimal numbers of compare.mode float, read from program output a byte at a time: no
// regular expression, and a token of any length costs time linear in its length.

// States of the syntax: [+-]? (digits [.] digits? | . digits) ([eE] [+-]? digits)?
const START = 0;
const SIGN = 1;
const INTEGER = 2;
const LONE_DOT = 3; // a dot with no digit before it: a digit must follow
const FRACTION = 4;
const EXPONENT = 5;
const EXPONENT_SIGN = 6;
const EXPONENT_DIGITS = 7;
const NOT_A_NUMBER = 8;

const ZERO = 0x30;
const NINE = 0x39;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const isExponentMark = (byte: number) => byte === 0x65 || byte === 0x45; // e, E

// Digits that decide the nearest double: V8's own string-to-number keeps this many and notes
// whether a dropped one was non-zero, which is all that rounding can depend on.
const MAX_SIGNIFICANT_DIGITS = 772;
// Beyond any buffer's length, so a clamped exponent still means "overflows" or "underflows".
const EXPONENT_CAP = 1e15;

/**
 * Reads one token as a decimal number, as judges print them: an optional sign, digits with an
 * optional dot or a dot and digits, an optional exponent. No hex, "inf" or "nan": those are words.
 * Fed a byte at a time (push), so a caller can pause inside a long token; value() is the nearest
 * double, as Number() gives it, from at most 772 significant digits and a clamped exponent.
 */
export class DecimalReader {
  private state = START;
  private negative = false;
  private digits = '';
  /** value = digits × 10^scale × 10^(±exponent) */
  private scale = 0;
  private droppedNonZero = false;
  private exponent = 0;
  private exponentNegative = false;

  /** Starts a new token. */
  reset(): void {
    this.state = START;
    this.negative = false;
    this.digits = '';
    this.scale = 0;
    this.droppedNonZero = false;
    this.exponent = 0;
    this.exponentNegative = false;
  }

  push(byte: number): void {
    const digit = byte >= ZERO && byte <= NINE;
    if (byte === PLUS || byte === MINUS) {
      if (this.state === START) {
        this.negative = byte === MINUS;
        this.state = SIGN;
      } else if (this.state === EXPONENT) {
        this.exponentNegative = byte === MINUS;
        this.state = EXPONENT_SIGN;
      } else {
        this.state = NOT_A_NUMBER;
      }
      return;
    }
    switch (this.state) {
      case START:
      case SIGN:
        if (digit) this.mantissaDigit(byte, false, INTEGER);
        else this.state = byte === DOT ? LONE_DOT : NOT_A_NUMBER;
        return;
      case INTEGER:
        if (digit) this.mantissaDigit(byte, false, INTEGER);
        else this.state = byte === DOT ? FRACTION : isExponentMark(byte) ? EXPONENT : NOT_A_NUMBER;
        return;
      case LONE_DOT:
        if (digit) this.mantissaDigit(byte, true, FRACTION);
        else this.state = NOT_A_NUMBER;
        return;
      case FRACTION:
        if (digit) this.mantissaDigit(byte, true, FRACTION);
        else this.state = isExponentMark(byte) ? EXPONENT : NOT_A_NUMBER;
        return;
      case EXPONENT:
      case EXPONENT_SIGN:
      case EXPONENT_DIGITS:
        if (digit) this.exponent = Math.min(EXPONENT_CAP, this.exponent * 10 + (byte - ZERO));
        this.state = digit ? EXPONENT_DIGITS : NOT_A_NUMBER;
        return;
    }
  }

  /** The token's value, or undefined when it is not a decimal number. */
  value(): number | undefined {
    if (this.state !== INTEGER && this.state !== FRACTION && this.state !== EXPONENT_DIGITS) return undefined;
    const sign = this.negative ? '-' : '';
    if (this.digits === '') return Number(`${sign}0`);
    // A non-zero digit past the kept ones becomes one more digit 1: it breaks a tie the same way.
    const digits = this.droppedNonZero ? `${this.digits}1` : this.digits;
    const scale = this.droppedNonZero ? this.scale - 1 : this.scale;
    const exponent = scale + (this.exponentNegative ? -this.exponent : this.exponent);
    return Number(`${sign}${digits}e${Math.max(-EXPONENT_CAP, Math.min(EXPONENT_CAP, exponent))}`);
  }

  private mantissaDigit(byte: number, fraction: boolean, next: number): void {
    this.state = next;
    if (this.digits === '' && byte === ZERO) {
      if (fraction) this.scale--; // a leading zero only moves the point
    } else if (this.digits.length < MAX_SIGNIFICANT_DIGITS) {
      this.digits += String.fromCharCode(byte);
      if (fraction) this.scale--;
    } else {
      if (!fraction) this.scale++; // a dropped integer digit still counts as a power of ten
      this.droppedNonZero ||= byte !== ZERO;
    }
  }
}
