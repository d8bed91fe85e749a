import { base64urlDecodedLength, decodeCanonicalBase64urlInto } from './base64url.js';
import { MAX_TOKEN_BYTES } from './limits.js';
import { deny, type Denial } from './reasons.js';
import { parseStrictJsonBytes, type JsonObject } from './strict-json.js';

/** A compact JWS split and decoded, nothing yet trusted. */
export interface DecodedJws {
  readonly ok: true;
  readonly header: JsonObject;
  readonly payload: JsonObject;
  /** The ASCII bytes `base64url(header) || '.' || base64url(payload)` that the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  /** The header segment as it appeared in the token (base64url text). */
  readonly headerSegment: string;
}

/** Headers already parsed from exactly this segment text; see decodeCompactJws. */
export interface ParsedHeaderCache {
  get(headerSegment: string): JsonObject | undefined;
}

/**
 * The header and payload are decoded into these buffers and parsed before decodeCompactJws returns
 * (it is synchronous), so no buffer is allocated for them per token. The signature, which outlives
 * the call, gets its own.
 */
const headerScratch = Buffer.alloc(base64urlDecodedLength(MAX_TOKEN_BYTES));
const payloadScratch = Buffer.alloc(base64urlDecodedLength(MAX_TOKEN_BYTES));

/**
 * Splits and decodes a compact JWS strictly: size cap first, canonical base64url, JSON objects.
 * `knownHeaders` may hold the parse result of header segments seen before: decoding and parsing
 * are pure functions of the segment text, so a segment found there is not decoded again (the
 * checks keep their order: a known header is one that passed them all).
 */
export function decodeCompactJws(token: string, knownHeaders?: ParsedHeaderCache): DecodedJws | Denial {
  if (token.length > MAX_TOKEN_BYTES) return deny('token_too_large', `token is longer than ${MAX_TOKEN_BYTES} characters`);
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
    return deny('malformed_token', 'a compact JWS has exactly three segments');
  }
  const headerSegment = token.slice(0, firstDot);
  const knownHeader = knownHeaders?.get(headerSegment);
  const headerLength = knownHeader ? 0 : decodeCanonicalBase64urlInto(headerSegment, headerScratch);
  const payloadLength = decodeCanonicalBase64urlInto(token.slice(firstDot + 1, secondDot), payloadScratch);
  const signatureSegment = token.slice(secondDot + 1);
  const signature = Buffer.allocUnsafe(Math.max(0, base64urlDecodedLength(signatureSegment.length)));
  if (headerLength < 0 || payloadLength < 0 || decodeCanonicalBase64urlInto(signatureSegment, signature) < 0) {
    return deny('malformed_token', 'a segment is not canonical unpadded base64url');
  }
  if (signature.length === 0) return deny('malformed_token', 'the signature is empty');
  let header: JsonObject;
  let payload: JsonObject;
  try {
    header = knownHeader ?? parseStrictJsonBytes(headerScratch, headerLength);
  } catch (error) {
    return deny('malformed_token', `header: ${(error as Error).message}`);
  }
  try {
    payload = parseStrictJsonBytes(payloadScratch, payloadLength);
  } catch (error) {
    return deny('malformed_token', `payload: ${(error as Error).message}`);
  }
  return { ok: true, header, payload, signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'), signature, headerSegment };
}
