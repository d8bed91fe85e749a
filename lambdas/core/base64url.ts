const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) SEXTET[BASE64URL_ALPHABET.charCodeAt(i)] = i;

/** The number of bytes canonical base64url text of this length decodes to; -1 when no canonical text has it. */
export function base64urlDecodedLength(textLength: number): number {
  return (textLength & 3) === 1 ? -1 : (textLength * 3) >> 2;
}

/**
 * Decodes canonical base64url into `target` from byte 0 and returns the byte count, or -1 when the
 * text is not canonical base64url: alphabet A-Z a-z 0-9 - _, no padding, no whitespace, zero
 * trailing bits. `target` must hold base64urlDecodedLength(text.length) bytes; nothing is
 * allocated, so the verify path decodes the header and payload into one buffer it reuses.
 *
 * Without re-encoding (which was a sixth of the pre-signature time): Node's decoder accepts '+'
 * and '/' too, so those are refused first; it skips or stops at anything else outside the
 * alphabet ('=', whitespace, non-ASCII), and for a length that is not 1 mod 4 every character
 * skipped makes the output shorter than ⌊3·length/4⌋, so the length check refuses those; the last
 * character then must carry no stray bits. Tested against the re-encoding definition.
 */
export function decodeCanonicalBase64urlInto(text: string, target: Buffer): number {
  const length = text.length;
  const expected = base64urlDecodedLength(length);
  if (expected < 0 || expected > target.length || text.includes('+') || text.includes('/')) return -1;
  // The decoder writes at most ⌊3·length/4⌋ bytes, so exactly `expected` means nothing was skipped.
  if (target.write(text, 0, expected, 'base64url') !== expected) return -1;
  const rest = length & 3;
  if (rest !== 0) {
    // The last character is in the alphabet (the length check above): only its stray bits are left to check.
    const sextet = SEXTET[text.charCodeAt(length - 1)] ?? -1;
    if ((sextet & (rest === 2 ? 0x0f : 0x03)) !== 0) return -1;
  }
  return expected;
}

/** Returns the decoded bytes in a new buffer, or undefined when the text is not canonical base64url. */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  const expected = base64urlDecodedLength(text.length);
  if (expected < 0) return undefined;
  const bytes = Buffer.allocUnsafe(expected);
  return decodeCanonicalBase64urlInto(text, bytes) === expected ? bytes : undefined;
}

/**
 * Strict standard base64 (padding required where due); whitespace between lines is allowed. The
 * round trip is the whole check: Node's encoder writes only the alphabet with `=` padding to a
 * multiple of 4, so any other character, missing padding or stray bits fail it.
 */
export function decodeStrictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n\t ]+/g, '');
  if (compact.length === 0) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  return bytes.toString('base64') === compact ? bytes : undefined;
}
