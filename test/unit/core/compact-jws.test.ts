import { describe, expect, it } from 'vitest';
import { decodeCompactJws, type DecodedJws } from '../../../lambdas/core/compact-jws.js';
import { MAX_TOKEN_BYTES } from '../../../lambdas/core/limits.js';
import type { Denial } from '../../../lambdas/core/reasons.js';
import type { JsonObject } from '../../../lambdas/core/strict-json.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const HEADER = b64('{"alg":"RS512","kid":"k1"}');
const PAYLOAD = b64('{"sub":"ces:customer:acme","iat":1790000000,"exp":1790000300,"jti":"j"}');
const SIGNATURE_BYTES = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
const SIGNATURE = SIGNATURE_BYTES.toString('base64url');

function malformed(detail: string): Denial {
  return { ok: false, reason: 'malformed_token', publicReason: 'malformed_token', detail };
}

function decoded(token: string): DecodedJws {
  const result = decodeCompactJws(token);
  if (!result.ok) throw new Error(`refused: ${result.detail}`);
  return result;
}

/** A token of exactly `length` characters: a payload member padded to fit, a signature of 8 to 12 A's. */
function tokenOfLength(length: number): string {
  for (let filler = Math.max(0, Math.floor(((length - HEADER.length - 14) * 3) / 4) - 20); ; filler++) {
    const prefix = `${HEADER}.${b64(`{"jti":"${'x'.repeat(filler)}"}`)}.`;
    const signatureLength = length - prefix.length;
    // 'A' is sextet 0, so any length but 1 mod 4 is canonical.
    if (signatureLength <= 12 && signatureLength % 4 !== 1) return prefix + 'A'.repeat(signatureLength);
    if (signatureLength < 8) throw new Error(`no token of ${length} characters`);
  }
}

describe('decodeCompactJws: a well-formed token', () => {
  it('returns the parsed header and payload, the signing input, the signature bytes and the header segment', () => {
    const token = `${HEADER}.${PAYLOAD}.${SIGNATURE}`;
    const result = decoded(token);
    expect(result.header).toEqual({ alg: 'RS512', kid: 'k1' });
    expect(result.payload).toEqual({ sub: 'ces:customer:acme', iat: 1790000000, exp: 1790000300, jti: 'j' });
    expect(result.signingInput).toEqual(Buffer.from(`${HEADER}.${PAYLOAD}`, 'ascii'));
    expect(result.signature).toEqual(SIGNATURE_BYTES);
    expect(result.headerSegment).toBe(HEADER);
  });

  it('passes the integer-literal notes of the payload on to the claim checks', () => {
    const result = decoded(`${HEADER}.${b64('{"iat":1.0}')}.${SIGNATURE}`);
    expect(result.payload).toEqual({ iat: 1 });
  });

  it('reads UTF-8 text in the header and payload', () => {
    const result = decoded(`${b64('{"alg":"RS512","x":"é"}')}.${b64('{"jti":"😀"}')}.${SIGNATURE}`);
    expect(result.header['x']).toBe('é');
    expect(result.payload['jti']).toBe('😀');
  });
});

describe('decodeCompactJws: one token after another', () => {
  it('reads each token on its own: nothing of a longer token before it is left in the result', () => {
    const long = decoded(`${b64('{"alg":"RS512","kid":"a-rather-long-key-id","x":[1,2,3]}')}.${b64(`{"jti":"${'j'.repeat(500)}","extra":{"deep":[true]}}`)}.${SIGNATURE}${SIGNATURE}`);
    expect(long.payload['jti']).toHaveLength(500);
    const short = decoded(`${b64('{"alg":"RS512"}')}.${b64('{"a":1}')}.AA`);
    expect(short.header).toEqual({ alg: 'RS512' });
    expect(short.payload).toEqual({ a: 1 });
    expect(short.signature).toEqual(Buffer.from([0]));
    // What was returned before stays as it was.
    expect(long.payload['jti']).toBe('j'.repeat(500));
    expect(long.signature).toEqual(Buffer.concat([SIGNATURE_BYTES, SIGNATURE_BYTES]));
  });
});

describe('decodeCompactJws: size', () => {
  it(`accepts a token of exactly ${MAX_TOKEN_BYTES} characters and refuses one more`, () => {
    const atLimit = tokenOfLength(MAX_TOKEN_BYTES);
    expect(atLimit).toHaveLength(MAX_TOKEN_BYTES);
    expect(decodeCompactJws(atLimit).ok).toBe(true);
    const over = tokenOfLength(MAX_TOKEN_BYTES + 1);
    expect(over).toHaveLength(MAX_TOKEN_BYTES + 1);
    expect(decodeCompactJws(over)).toEqual({ ok: false, reason: 'token_too_large', publicReason: 'malformed_token', detail: `token is longer than ${MAX_TOKEN_BYTES} characters` });
  });

  it('checks the size before anything else', () => {
    expect(decodeCompactJws('x'.repeat(MAX_TOKEN_BYTES + 1))).toMatchObject({ reason: 'token_too_large' });
  });
});

describe('decodeCompactJws: three segments', () => {
  it.each([
    ['an empty token', ''],
    ['one segment', HEADER],
    ['two segments', `${HEADER}.${PAYLOAD}`],
    ['two segments and a trailing dot', `${HEADER}.${PAYLOAD}.${SIGNATURE}.`],
    ['four segments', `${HEADER}.${PAYLOAD}.${SIGNATURE}.${SIGNATURE}`],
    ['five segments (a JWE)', `${HEADER}.${PAYLOAD}.${SIGNATURE}.${SIGNATURE}.${SIGNATURE}`],
    ['a single dot', '.'],
    ['three dots', '...'],
    ['a leading dot and two segments', `.${HEADER}`],
  ])('refuses %s', (_label, token) => {
    expect(decodeCompactJws(token)).toEqual(malformed('a compact JWS has exactly three segments'));
  });

  it('refuses an empty signature (an unsecured JWS)', () => {
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.`)).toEqual(malformed('the signature is empty'));
  });

  it('takes empty header and payload segments as empty JSON text, refused by the parser', () => {
    expect(decodeCompactJws(`.${PAYLOAD}.${SIGNATURE}`)).toEqual(malformed('header: not a JSON object'));
    expect(decodeCompactJws(`${HEADER}..${SIGNATURE}`)).toEqual(malformed('payload: not a JSON object'));
    expect(decodeCompactJws('..')).toEqual(malformed('the signature is empty'));
  });

  it('reads a one-byte signature', () => {
    expect(decoded(`${HEADER}.${PAYLOAD}.AA`).signature).toEqual(Buffer.from([0]));
  });
});

describe('decodeCompactJws: canonical base64url in every segment', () => {
  const notCanonical = malformed('a segment is not canonical unpadded base64url');
  const spellings = [
    ['padding', (segment: string) => `${segment}=`],
    ['a standard-alphabet character', (segment: string) => `+${segment.slice(1)}`],
    ['a space', (segment: string) => `${segment.slice(0, 2)} ${segment.slice(3)}`],
    ['a remainder of one character', (segment: string) => `${segment}${'A'.repeat(((1 - segment.length) % 4 + 4) % 4)}`],
  ] as const;

  it.each(spellings)('refuses a header, payload or signature with %s', (_label, spoil) => {
    expect(decodeCompactJws(`${spoil(HEADER)}.${PAYLOAD}.${SIGNATURE}`)).toEqual(notCanonical);
    expect(decodeCompactJws(`${HEADER}.${spoil(PAYLOAD)}.${SIGNATURE}`)).toEqual(notCanonical);
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.${spoil(SIGNATURE)}`)).toEqual(notCanonical);
  });

  it('refuses stray bits in the last character of a segment (a second spelling of the same bytes)', () => {
    // 'AA' is the byte 0; 'AB' decodes to the same byte with a stray bit set.
    expect(decoded(`${HEADER}.${PAYLOAD}.AA`).signature).toEqual(Buffer.from([0]));
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.AB`)).toEqual(notCanonical);
  });
});

describe('decodeCompactJws: JSON', () => {
  it.each([
    ['not JSON', 'alg', 'not a JSON object'],
    ['an array', '["RS512"]', 'not a JSON object'],
    ['duplicate members', '{"alg":"RS512","alg":"none"}', 'duplicate member'],
    ['trailing data', '{"alg":"RS512"}x', 'unexpected data after the JSON object'],
  ])('refuses a header that is %s, saying it is the header', (_label, json, message) => {
    expect(decodeCompactJws(`${b64(json)}.${PAYLOAD}.${SIGNATURE}`)).toEqual(malformed(`header: ${message}`));
    expect(decodeCompactJws(`${HEADER}.${b64(json)}.${SIGNATURE}`)).toEqual(malformed(`payload: ${message}`));
  });

  it('refuses invalid UTF-8 and a byte order mark', () => {
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]).toString('base64url');
    expect(decodeCompactJws(`${invalidUtf8}.${PAYLOAD}.${SIGNATURE}`)).toEqual(malformed('header: not valid UTF-8'));
    expect(decodeCompactJws(`${HEADER}.${b64('\ufeff{}')}.${SIGNATURE}`)).toEqual(malformed('payload: byte order mark'));
  });

  it('judges the header before the payload', () => {
    expect(decodeCompactJws(`${b64('[]')}.${b64('[]')}.${SIGNATURE}`)).toEqual(malformed('header: not a JSON object'));
  });
});

describe('decodeCompactJws: headers parsed before', () => {
  const known = (segment: string, header: JsonObject) => ({ get: (s: string) => (s === segment ? header : undefined) });

  it('uses the remembered parse result of exactly this header segment', () => {
    const remembered = Object.freeze({ alg: 'RS512', kid: 'k1' }) as JsonObject;
    expect(decoded(`${HEADER}.${PAYLOAD}.${SIGNATURE}`).header).not.toBe(remembered);
    const withCache = decodeCompactJws(`${HEADER}.${PAYLOAD}.${SIGNATURE}`, known(HEADER, remembered));
    expect(withCache).toMatchObject({ ok: true, header: remembered, headerSegment: HEADER });
    expect((withCache as DecodedJws).header).toBe(remembered);
    expect((withCache as DecodedJws).signingInput).toEqual(Buffer.from(`${HEADER}.${PAYLOAD}`));
  });

  it('decodes a segment it does not know, and still checks the payload and signature of a known one', () => {
    const cache = known('other', { alg: 'none' });
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.${SIGNATURE}`, cache)).toMatchObject({ ok: true, header: { alg: 'RS512', kid: 'k1' } });
    const knownHeader = known(HEADER, { alg: 'RS512' });
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.`, knownHeader)).toEqual(malformed('the signature is empty'));
    expect(decodeCompactJws(`${HEADER}.${b64('[]')}.${SIGNATURE}`, knownHeader)).toEqual(malformed('payload: not a JSON object'));
    expect(decodeCompactJws(`${HEADER}.${PAYLOAD}.AB`, knownHeader)).toEqual(malformed('a segment is not canonical unpadded base64url'));
  });
});
