import { describe, expect, it } from 'vitest';
import { extractBearerToken } from '../../../lambdas/core/bearer.js';
import { decodeCompactJws } from '../../../lambdas/core/compact-jws.js';
import { MAX_TOKEN_BYTES } from '../../../lambdas/core/limits.js';

const TOKEN = 'aGVhZGVy.cGF5bG9hZA.c2ln';
const NO_HEADER = { ok: false, reason: 'malformed_authorization', publicReason: 'malformed_token', detail: 'no Authorization header' };
const TWO_HEADERS = { ok: false, reason: 'malformed_authorization', publicReason: 'malformed_token', detail: 'more than one Authorization header' };
const NOT_BEARER = {
  ok: false,
  reason: 'malformed_authorization',
  publicReason: 'malformed_token',
  detail: 'expected Authorization: Bearer <token>, with exactly one token after the scheme',
};

describe('extractBearerToken: which header values are read', () => {
  it.each([
    ['no header maps at all', undefined, undefined],
    ['null header maps (API Gateway sends null when a request has no headers)', null, null],
    ['empty header maps', {}, {}],
    ['only other headers', { 'X-Authorization': `Bearer ${TOKEN}`, Accept: '*/*' }, { 'X-Authorization': [`Bearer ${TOKEN}`] }],
    ['a header whose value is missing', { authorization: undefined }, { authorization: undefined }],
  ])('refuses a request with %s', (_label, headers, multiValueHeaders) => {
    expect(extractBearerToken(headers, multiValueHeaders)).toEqual(NO_HEADER);
  });

  it.each(['authorization', 'Authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn'])('reads the header named %s (names are case-insensitive)', (name) => {
    expect(extractBearerToken({ [name]: `Bearer ${TOKEN}` })).toEqual({ ok: true, token: TOKEN });
    expect(extractBearerToken(undefined, { [name]: [`Bearer ${TOKEN}`] })).toEqual({ ok: true, token: TOKEN });
  });

  it('takes the values from the multi-value map when it has them (API Gateway puts only the last value in headers)', () => {
    expect(extractBearerToken({ Authorization: 'Bearer from-single-map' }, { Authorization: [`Bearer ${TOKEN}`] })).toEqual({ ok: true, token: TOKEN });
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }, { Authorization: ['Bearer first', `Bearer ${TOKEN}`] })).toEqual(TWO_HEADERS);
  });

  it('falls back to the single-value map when the multi-value map has no Authorization values', () => {
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }, { Authorization: undefined })).toEqual({ ok: true, token: TOKEN });
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }, { Authorization: [] })).toEqual({ ok: true, token: TOKEN });
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }, { Accept: ['*/*'] })).toEqual({ ok: true, token: TOKEN });
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` }, null)).toEqual({ ok: true, token: TOKEN });
  });

  it('refuses two Authorization headers, in either map, even when the names differ only in case', () => {
    expect(extractBearerToken(undefined, { Authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] })).toEqual(TWO_HEADERS);
    expect(extractBearerToken(undefined, { Authorization: [`Bearer ${TOKEN}`], authorization: [`Bearer ${TOKEN}`] })).toEqual(TWO_HEADERS);
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}`, authorization: `Bearer ${TOKEN}` })).toEqual(TWO_HEADERS);
  });
});

describe('extractBearerToken: the value', () => {
  it.each([
    ['Bearer', `Bearer ${TOKEN}`],
    ['lower-case scheme', `bearer ${TOKEN}`],
    ['upper-case scheme', `BEARER ${TOKEN}`],
    ['several spaces after the scheme', `Bearer   ${TOKEN}`],
    ['surrounding whitespace', ` \t Bearer ${TOKEN} \t\r\n`],
  ])('accepts %s', (_label, value) => {
    expect(extractBearerToken({ Authorization: value })).toEqual({ ok: true, token: TOKEN });
  });

  it('returns the token exactly as sent, whatever its characters (the JWS parser judges them)', () => {
    for (const token of ['x', 'a.b.c', '===', 'é😀', '"quoted"', 'a,b;c']) {
      expect(extractBearerToken({ Authorization: `Bearer ${token}` })).toEqual({ ok: true, token });
    }
  });

  it.each([
    ['an empty value', ''],
    ['whitespace only', '   '],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['no space after the scheme', `Bearer${TOKEN}`],
    ['a tab after the scheme', `Bearer\t${TOKEN}`],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a scheme that only ends in Bearer', `XBearer ${TOKEN}`],
    ['a scheme that only starts with Bearer', `Bearers ${TOKEN}`],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a token with a tab inside', `Bearer ab\tcd`],
    ['a token with a line break inside', `Bearer ab\ncd`],
    ['a token with a non-breaking space inside', `Bearer ab\u00a0cd`],
    ['a token alone', TOKEN],
    ['two schemes', `Bearer Bearer ${TOKEN}`],
  ])('refuses %s', (_label, value) => {
    expect(extractBearerToken({ Authorization: value })).toEqual(NOT_BEARER);
  });

  it('returns a token of any length whole: its size is judged once, by decodeCompactJws', () => {
    const long = 'a'.repeat(MAX_TOKEN_BYTES * 2);
    const extracted = extractBearerToken({ Authorization: `Bearer ${long}  ` });
    expect(extracted).toEqual({ ok: true, token: long });
    expect(decodeCompactJws(long)).toMatchObject({ ok: false, reason: 'token_too_large' });
  });
});
