import { decodeCanonicalBase64url } from './base64url.js';
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
}

/** Splits and decodes a compact JWS strictly: size cap first, canonical base64url, JSON objects. */
export function decodeCompactJws(token: string): DecodedJws | Denial {
  if (token.length > MAX_TOKEN_BYTES) return deny('token_too_large', `token is longer than ${MAX_TOKEN_BYTES} characters`);
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
    return deny('malformed_token', 'a compact JWS has exactly three segments');
  }
  const headerBytes = decodeCanonicalBase64url(token.slice(0, firstDot));
  const payloadBytes = decodeCanonicalBase64url(token.slice(firstDot + 1, secondDot));
  const signature = decodeCanonicalBase64url(token.slice(secondDot + 1));
  if (!headerBytes || !payloadBytes || !signature) {
    return deny('malformed_token', 'a segment is not canonical unpadded base64url');
  }
  if (signature.length === 0) return deny('malformed_token', 'the signature is empty');
  let header: JsonObject;
  let payload: JsonObject;
  try {
    header = parseStrictJsonBytes(headerBytes);
  } catch (error) {
    return deny('malformed_token', `header: ${(error as Error).message}`);
  }
  try {
    payload = parseStrictJsonBytes(payloadBytes);
  } catch (error) {
    return deny('malformed_token', `payload: ${(error as Error).message}`);
  }
  return { ok: true, header, payload, signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'), signature };
}
