import { describe, expect, it } from 'vitest';
import { isValidKeyName, MAX_TOKEN_BYTES } from '../../../lambdas/core/limits.js';
import type { Denial } from '../../../lambdas/core/reasons.js';
import { parseStrictJsonBytes, type JsonObject } from '../../../lambdas/core/strict-json.js';
import { checkTokenBeforeSignature } from '../../../lambdas/core/token-checks.js';
import { checkClaims, checkHeader, DEFAULT_TOKEN_RULES, describeValue, epochSecondsClaim, isPrintableText } from '../../../lambdas/core/token-rules.js';
import { rsaKeyPair, signRaw } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const rules = DEFAULT_TOKEN_RULES;
const SKEW = 'the allowed clock skew is 30 s';
const EPOCH = 'must be an integer number of seconds since the epoch; got';
const MS = 100_000_000_000; // the first value read as milliseconds (after the year 5000 in seconds)
const json = (text: string): JsonObject => parseStrictJsonBytes(Buffer.from(text));

function claims(fields: Record<string, string | undefined>): JsonObject {
  const all: Record<string, string | undefined> = { sub: '"ces:customer:acme"', iat: String(NOW), exp: String(NOW + 60), jti: '"a"', ...fields };
  const members = Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return json(`{${members.map(([name, value]) => `"${name}":${value}`).join(',')}}`);
}

const judge = (fields: Record<string, string | undefined>, nowSeconds = NOW, tokenRules = rules) => checkClaims(claims(fields), nowSeconds, tokenRules);

function denial(fields: Record<string, string | undefined>, nowSeconds = NOW, tokenRules = rules): Pick<Denial, 'reason' | 'detail'> {
  const result = judge(fields, nowSeconds, tokenRules);
  if (result.ok) throw new Error('expected a denial');
  return { reason: result.reason, detail: result.detail };
}

describe('every algorithm name a client may send by mistake is named back; anything else is described', () => {
  it.each(['none', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'Ed25519', 'Ed448'])('%s', (alg) => {
    expect(checkHeader(json(JSON.stringify({ alg })))).toEqual({ ok: false, reason: 'unsupported_algorithm', publicReason: 'unsupported_algorithm', detail: `alg must be RS512; got ${alg}` });
  });

  it.each([
    ['"RS1024"', 'a string of 6 characters'],
    ['"es256"', 'a string of 5 characters'],
    ['""', 'an empty string'],
    ['0', 'a number'],
    ['-1', 'a negative number'],
    ['false', 'a boolean'],
    ['{"RS512":1}', 'an object'],
  ])('alg %s: %s', (alg, seen) => {
    expect(checkHeader(json(`{"alg":${alg}}`))).toMatchObject({ reason: 'unsupported_algorithm', detail: `alg must be RS512; got ${seen}` });
  });

  it('RS512 with and without a kid passes; the kid is handed on', () => {
    expect(checkHeader(json('{"alg":"RS512"}'))).toEqual({ ok: true, kid: undefined });
    expect(checkHeader(json('{"alg":"RS512","kid":"k"}'))).toEqual({ ok: true, kid: 'k' });
    expect(checkHeader(json('{"alg":"RS512","crit":[]}'))).toMatchObject({ ok: false, reason: 'malformed_token' });
  });

  it('kid lengths: 0 refused, 1 and 128 accepted, 129 refused', () => {
    const kidSentence = (seen: string) => `kid must be a non-empty string of at most 128 characters; got ${seen}`;
    expect(checkHeader(json('{"alg":"RS512","kid":""}'))).toEqual({ ok: false, reason: 'malformed_token', publicReason: 'malformed_token', detail: kidSentence('an empty string') });
    expect(checkHeader(json('{"alg":"RS512","kid":"k"}'))).toEqual({ ok: true, kid: 'k' });
    expect(checkHeader(json(`{"alg":"RS512","kid":"${'k'.repeat(128)}"}`))).toEqual({ ok: true, kid: 'k'.repeat(128) });
    expect(checkHeader(json(`{"alg":"RS512","kid":"${'k'.repeat(129)}"}`))).toMatchObject({ detail: kidSentence('a string of 129 characters') });
    expect(checkHeader(json('{"alg":"RS512","kid":null}'))).toMatchObject({ detail: kidSentence('null') });
  });
});

describe('describeValue: a value by its kind, never by its text', () => {
  it.each([
    ['', 'an empty string'],
    ['x', 'a string of 1 characters'],
    ['1790000000', 'a number in a string'],
    ['-5', 'a number in a string'],
    ['12.25', 'a number in a string'],
    ['1.5', 'a number in a string'],
    ['x12', 'a string of 3 characters'],
    ['12x', 'a string of 3 characters'],
    ['1x5', 'a string of 3 characters'],
    ['1.', 'a string of 2 characters'],
    ['.5', 'a string of 2 characters'],
    ['--5', 'a string of 3 characters'],
    ['1e9', 'a string of 3 characters'],
    ['1.x', 'a string of 3 characters'],
    [0, 'a number'],
    [7, 'a number'],
    [Number.MAX_SAFE_INTEGER, 'a number'],
    [Number.MAX_SAFE_INTEGER + 1, 'a number above 2^53'],
    [-1, 'a negative number'],
    [0.5, 'a number with a fraction'],
    [-0.5, 'a number with a fraction'],
    [null, 'null'],
    [[], 'an array'],
    [{}, 'an object'],
    [true, 'a boolean'],
  ])('%j: %s', (value, description) => {
    expect(describeValue(value)).toBe(description);
  });
});

describe('printable text (jti)', () => {
  it.each([
    ['\u001f', false],
    ['\u0000', false],
    ['\u007f', false],
    ['a\ud800', false],
    ['\ud800a', false],
    ['\udfffa', false],
    ['a\udc00', false],
    ['\udbff\udfff', true],
    ['\ud800\udc00', true],
    [' ', true],
    ['~', true],
    ['\u0080', true],
    ['é', true],
    ['😀', true],
  ])('%j: %s', (text, printable) => {
    expect(isPrintableText(text)).toBe(printable);
  });
});

describe('key names (sub and registration share one grammar)', () => {
  it.each(['a', 'Z', '9', 'a.b', 'a_b', 'a-b', 'A9.z_-', `a${'b'.repeat(63)}`])('%j is a key name', (name) => {
    expect(isValidKeyName(name)).toBe(true);
    expect(judge({ sub: `"ces:customer:${name}"` })).toMatchObject({ ok: true, keyName: name });
  });

  it.each(['', '.a', '_a', '-a', 'a b', 'a/b', 'é', `a${'b'.repeat(64)}`, 'a\n', '\na'])('%j is not', (name) => {
    expect(isValidKeyName(name)).toBe(false);
  });
});

describe('epoch claims: 0 is a time, not a missing value', () => {
  it('iat 0, nbf 0 are integer seconds', () => {
    expect(epochSecondsClaim(json('{"iat":0}'), 'iat')).toBe(0);
    expect(epochSecondsClaim(json('{"nbf":0}'), 'nbf')).toBe(0);
    expect(epochSecondsClaim(json('{"exp":0.0}'), 'exp')).toBeUndefined();
    expect(epochSecondsClaim(json('{}'), 'exp')).toBeUndefined();
  });

  it('nbf 0 lets a token through (long past)', () => {
    expect(judge({ nbf: '0' })).toEqual({ ok: true, keyName: 'acme', jti: 'a', iat: NOW, exp: NOW + 60, payload: { sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'a', nbf: 0 } });
  });

  it('a zero written with a decimal point is named as such', () => {
    expect(denial({ iat: '0.0', exp: '60' })).toEqual({ reason: 'invalid_claim', detail: `iat ${EPOCH} a whole number written with a decimal point or an exponent` });
    expect(denial({ nbf: '0e0' })).toEqual({ reason: 'invalid_claim', detail: `nbf ${EPOCH} a whole number written with a decimal point or an exponent` });
    expect(denial({ exp: `${NOW + 60}.0` })).toEqual({ reason: 'invalid_claim', detail: `exp ${EPOCH} a whole number written with a decimal point or an exponent` });
  });

  it('each epoch claim is checked on its own: a bad exp or nbf with a good iat', () => {
    expect(denial({ exp: '-1' })).toEqual({ reason: 'invalid_claim', detail: `exp ${EPOCH} a negative number` });
    expect(denial({ nbf: '-1' })).toEqual({ reason: 'invalid_claim', detail: `nbf ${EPOCH} a negative number` });
    expect(denial({ nbf: 'null' })).toEqual({ reason: 'invalid_claim', detail: `nbf ${EPOCH} null` });
  });

  it('the order of the claim checks: sub, then presence, then integers, then jti, then times', () => {
    expect(denial({ sub: undefined, iat: undefined })).toMatchObject({ detail: 'sub is required' });
    expect(denial({ sub: '1', iat: undefined })).toMatchObject({ reason: 'invalid_subject' });
    expect(denial({ iat: undefined, exp: undefined, jti: undefined })).toMatchObject({ detail: 'iat is required' });
    expect(denial({ exp: undefined, jti: undefined })).toMatchObject({ detail: 'exp is required' });
    expect(denial({ iat: '"x"', exp: '"y"' })).toMatchObject({ detail: `iat ${EPOCH} a string of 1 characters` });
    expect(denial({ exp: '"y"', nbf: '"z"' })).toMatchObject({ detail: `exp ${EPOCH} a string of 1 characters` });
    expect(denial({ nbf: '"z"', jti: '""' })).toMatchObject({ detail: `nbf ${EPOCH} a string of 1 characters` });
    expect(denial({ jti: '""', exp: String(NOW) })).toMatchObject({ detail: expect.stringMatching(/^jti must be/) });
    expect(denial({ exp: String(NOW + 3600) }, NOW + 7200)).toMatchObject({ reason: 'lifetime_too_long' });
  });
});

describe('time windows', () => {
  it('now is taken in whole seconds (rounded down)', () => {
    expect(judge({ iat: String(NOW - 100), exp: String(NOW - 29) }, NOW + 0.9)).toMatchObject({ ok: true });
    expect(denial({ iat: String(NOW - 100), exp: String(NOW - 31) }, NOW + 0.5)).toEqual({ reason: 'token_expired', detail: `exp is 31 s in the past; ${SKEW}` });
    expect(denial({ iat: String(NOW + 32), exp: String(NOW + 90) }, NOW + 0.5)).toEqual({ reason: 'token_not_yet_valid', detail: `iat is 32 s in the future; ${SKEW}` });
    expect(judge({ iat: String(NOW + 31), exp: String(NOW + 90) }, NOW + 1.5)).toMatchObject({ ok: true });
  });

  it('nbf: exactly at now + skew passes, one second later does not', () => {
    expect(judge({ nbf: String(NOW + 30) })).toMatchObject({ ok: true });
    expect(denial({ nbf: String(NOW + 31) })).toEqual({ reason: 'token_not_yet_valid', detail: `nbf is 31 s in the future; ${SKEW}` });
  });

  it('a configured skew appears in the sentence and moves every edge', () => {
    const strict = { clockSkewSeconds: 0, maxLifetimeSeconds: 1800 };
    expect(denial({ iat: String(NOW - 100), exp: String(NOW) }, NOW, strict)).toEqual({ reason: 'token_expired', detail: 'exp is 0 s in the past; the allowed clock skew is 0 s' });
    expect(denial({ iat: String(NOW + 1), exp: String(NOW + 60) }, NOW, strict)).toEqual({ reason: 'token_not_yet_valid', detail: 'iat is 1 s in the future; the allowed clock skew is 0 s' });
    expect(denial({ nbf: String(NOW + 1) }, NOW, strict)).toEqual({ reason: 'token_not_yet_valid', detail: 'nbf is 1 s in the future; the allowed clock skew is 0 s' });
    expect(judge({ nbf: String(NOW) }, NOW, strict)).toMatchObject({ ok: true });
  });

  it('a configured lifetime appears in the sentence', () => {
    expect(denial({ exp: String(NOW + 61) }, NOW, { clockSkewSeconds: 30, maxLifetimeSeconds: 60 })).toEqual({ reason: 'lifetime_too_long', detail: 'exp - iat is 61 s; at most 60 s is allowed' });
    expect(judge({ exp: String(NOW + 60) }, NOW, { clockSkewSeconds: 30, maxLifetimeSeconds: 60 })).toMatchObject({ ok: true });
  });
});

describe('the milliseconds hint starts at 10^11 (after the year 5000 in seconds)', () => {
  it('exp', () => {
    expect(denial({ exp: String(MS) })).toEqual({ reason: 'lifetime_too_long', detail: `exp - iat is ${MS - NOW} s; at most 1800 s is allowed; exp looks like milliseconds` });
    expect(denial({ exp: String(MS - 1) })).toEqual({ reason: 'lifetime_too_long', detail: `exp - iat is ${MS - 1 - NOW} s; at most 1800 s is allowed` });
  });

  it('iat', () => {
    expect(denial({ iat: String(MS), exp: String(MS + 60) })).toEqual({ reason: 'token_not_yet_valid', detail: `iat is ${MS - NOW} s in the future; ${SKEW}; iat looks like milliseconds` });
    expect(denial({ iat: String(MS - 1), exp: String(MS + 60) })).toEqual({ reason: 'token_not_yet_valid', detail: `iat is ${MS - 1 - NOW} s in the future; ${SKEW}` });
    expect(denial({ iat: String(MS), exp: String(MS + 1801) })).toEqual({ reason: 'lifetime_too_long', detail: 'exp - iat is 1801 s; at most 1800 s is allowed; exp and iat look like milliseconds' });
    expect(denial({ iat: String(MS), exp: String(NOW) })).toEqual({ reason: 'invalid_claim', detail: `exp must be after iat; got exp - iat = ${NOW - MS} s; iat looks like milliseconds` });
    expect(denial({ iat: String(MS - 1), exp: String(NOW) })).toEqual({ reason: 'invalid_claim', detail: `exp must be after iat; got exp - iat = ${NOW - MS + 1} s` });
  });

  it('nbf', () => {
    expect(denial({ nbf: String(MS) })).toEqual({ reason: 'token_not_yet_valid', detail: `nbf is ${MS - NOW} s in the future; ${SKEW}; nbf looks like milliseconds` });
    expect(denial({ nbf: String(MS - 1) })).toEqual({ reason: 'token_not_yet_valid', detail: `nbf is ${MS - 1 - NOW} s in the future; ${SKEW}` });
  });
});

describe('the size bound: 8,192 characters', () => {
  const pair = rsaKeyPair(2048);
  const base64urlLength = (bytes: number) => Math.ceil((bytes * 4) / 3);
  /** A signed token of exactly `length` characters: padding in a header parameter and a claim, lengths worked out before signing. */
  const tokenOfLength = (length: number) => {
    for (let headerPad = 0; headerPad < 4; headerPad++) {
      const header = `{"alg":"RS512","x":"${'h'.repeat(headerPad)}"}`;
      for (let claimPad = 5700; claimPad < 5900; claimPad++) {
        const payload = `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW + 60},"jti":"a","pad":"${'p'.repeat(claimPad)}"}`;
        if (base64urlLength(header.length) + base64urlLength(payload.length) + 2 + 342 === length) return signRaw(pair, header, payload);
      }
    }
    throw new Error(`no token of ${length} characters`);
  };

  it('a token of exactly 8,192 characters is read; one of 8,193 is not', () => {
    expect(MAX_TOKEN_BYTES).toBe(8192);
    expect(checkTokenBeforeSignature(tokenOfLength(8192), NOW, rules)).toMatchObject({ ok: true, keyName: 'acme' });
    expect(checkTokenBeforeSignature(tokenOfLength(8193), NOW, rules)).toEqual({ ok: false, reason: 'token_too_large', publicReason: 'malformed_token', detail: 'token is longer than 8192 characters' });
  });
});
