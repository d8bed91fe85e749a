/**
 * Returns the decoded bytes, or undefined when the text is not canonical base64url: alphabet
 * A-Z a-z 0-9 - _, no padding, no whitespace, zero trailing bits.
 */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding gives back the text only if it is the one canonical spelling of these bytes: the
  // encoder emits nothing but the base64url alphabet, no padding and zero trailing bits, so any
  // other character ('+', '/', '=', whitespace, non-ASCII) or stray bit makes the comparison fail.
  // (A separate alphabet regex used to run first; it was redundant and ~9% of the verify path.)
  if (bytes.toString('base64url') !== text) return undefined;
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
