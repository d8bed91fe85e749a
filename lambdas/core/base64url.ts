const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL_ALPHABET.length; i++) SEXTET[BASE64URL_ALPHABET.charCodeAt(i)] = i;

/**
 * Returns the decoded bytes, or undefined when the text is not canonical base64url: alphabet
 * A-Z a-z 0-9 - _, no padding, no whitespace, zero trailing bits.
 *
 * Without re-encoding (which was a sixth of the pre-signature time): Node's decoder accepts '+'
 * and '/' too, so those are refused first; it skips or stops at anything else outside the
 * alphabet ('=', whitespace, non-ASCII), and for a length that is not 1 mod 4 every character
 * skipped makes the output shorter than ⌊3·length/4⌋, so the length check refuses those; the last
 * character then must carry no stray bits. Tested against the re-encoding definition.
 */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  const length = text.length;
  const rest = length & 3;
  if (rest === 1 || text.includes('+') || text.includes('/')) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== (length * 3) >> 2) return undefined;
  if (rest !== 0) {
    const code = text.charCodeAt(length - 1);
    const sextet = code < 128 ? (SEXTET[code] ?? -1) : -1;
    if (sextet < 0 || (sextet & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  return bytes;
}

const BASE64_STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard base64 (padding required where due); whitespace between lines is allowed. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n\t ]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_STANDARD.test(compact)) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) return undefined;
  return bytes;
}
