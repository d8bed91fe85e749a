/** Canonical base64url: alphabet A-Z a-z 0-9 - _, no padding, no whitespace, zero trailing bits. */
const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;

/** Returns the decoded bytes, or undefined when the text is not canonical unpadded base64url. */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL_CHARS.test(text)) return undefined;
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding catches non-zero trailing bits: only one spelling of each byte string is accepted.
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
