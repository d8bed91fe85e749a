import { deny, type Denial } from './reasons.js';

const BEARER = /^Bearer +([^\s]+)$/i;

/**
 * Reads `Authorization: Bearer <token>` from every value the request carried for that header
 * (names are case-insensitive). Exactly one header, one scheme, one token. The token's size is
 * checked once, by decodeCompactJws, the first step of every path that reads a token; the pattern
 * here is anchored and linear, so a long header costs one scan.
 */
export function extractBearerToken(headers: Readonly<Record<string, string | undefined>> | null | undefined, multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null): { ok: true; token: string } | Denial {
  const values: string[] = [];
  for (const [name, value] of Object.entries(multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization' && value) values.push(...value);
  }
  if (values.length === 0) {
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (name.toLowerCase() === 'authorization' && value !== undefined) values.push(value);
    }
  }
  if (values.length === 0) return deny('malformed_authorization', 'no Authorization header');
  if (values.length > 1) return deny('malformed_authorization', 'more than one Authorization header');
  const value = values[0] as string;
  const match = BEARER.exec(value.trim());
  if (!match) return deny('malformed_authorization', 'expected Authorization: Bearer <token>, with exactly one token after the scheme');
  return { ok: true, token: match[1] as string };
}
