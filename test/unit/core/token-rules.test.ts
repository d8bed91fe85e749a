import { describe, expect, it } from 'vitest';
import { deny, INTERNAL_REASONS, MAX_PUBLIC_DETAIL_LENGTH, publicDetailOf, type Denial } from '../../../lambdas/core/reasons.js';
import { parseStrictJsonBytes, type JsonObject } from '../../../lambdas/core/strict-json.js';
import { checkClaims, checkHeader, DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';

const NOW = 1_790_000_000;
const rules = DEFAULT_TOKEN_RULES;
const json = (text: string): JsonObject => parseStrictJsonBytes(Buffer.from(text));
const SKEW = 'the allowed clock skew is 30 s';

/** Claims as JSON text, so that literals like 1.0 and 1e9 reach the rules as a client wrote them. */
function claims(fields: Record<string, string | undefined>): JsonObject {
  const all: Record<string, string | undefined> = { sub: '"ces:customer:acme"', iat: String(NOW), exp: String(NOW + 60), jti: '"a"', ...fields };
  const members = Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return json(`{${members.map(([name, value]) => `"${name}":${value}`).join(',')}}`);
}

function claimsDenial(fields: Record<string, string | undefined>): Denial {
  const result = checkClaims(claims(fields), NOW, rules);
  if (result.ok) throw new Error('expected a denial');
  return result;
}

function headerDenial(header: string): Denial {
  const result = checkHeader(json(header));
  if (result.ok) throw new Error('expected a denial');
  return result;
}

// Each sentence is public (the 401 body's detail): each is part of the contract, asserted word for word.
describe('header rules: reason and sentence', () => {
  it.each([
    ['{}', 'unsupported_algorithm', 'alg is required and must be RS512'],
    ['{"alg":"RS256"}', 'unsupported_algorithm', 'alg must be RS512; got RS256'],
    ['{"alg":"HS512"}', 'unsupported_algorithm', 'alg must be RS512; got HS512'],
    ['{"alg":"none"}', 'unsupported_algorithm', 'alg must be RS512; got none'],
    ['{"alg":"rs512"}', 'unsupported_algorithm', 'alg must be RS512; got a string of 5 characters'],
    ['{"alg":"<script>\\"\\r\\n"}', 'unsupported_algorithm', 'alg must be RS512; got a string of 11 characters'],
    ['{"alg":512}', 'unsupported_algorithm', 'alg must be RS512; got a number'],
    ['{"alg":null}', 'unsupported_algorithm', 'alg must be RS512; got null'],
    ['{"alg":["RS512"]}', 'unsupported_algorithm', 'alg must be RS512; got an array'],
    ['{"alg":"RS512","crit":["exp"]}', 'malformed_token', 'the crit header parameter is not supported'],
    ['{"alg":"RS512","kid":""}', 'malformed_token', 'kid must be a non-empty string of at most 128 characters; got an empty string'],
    ['{"alg":"RS512","kid":7}', 'malformed_token', 'kid must be a non-empty string of at most 128 characters; got a number'],
    ['{"alg":"RS512","kid":true}', 'malformed_token', 'kid must be a non-empty string of at most 128 characters; got a boolean'],
    ['{"alg":"RS512","kid":{}}', 'malformed_token', 'kid must be a non-empty string of at most 128 characters; got an object'],
    [`{"alg":"RS512","kid":"${'k'.repeat(129)}"}`, 'malformed_token', 'kid must be a non-empty string of at most 128 characters; got a string of 129 characters'],
  ])('%s → %s: %s', (header, reason, detail) => {
    expect(headerDenial(header)).toMatchObject({ reason, detail });
  });

  it('a kid of exactly 128 characters is accepted, one of 129 is not', () => {
    expect(checkHeader(json(`{"alg":"RS512","kid":"${'k'.repeat(128)}"}`))).toEqual({ ok: true, kid: 'k'.repeat(128) });
    expect(checkHeader(json(`{"alg":"RS512","kid":"${'k'.repeat(129)}"}`))).toMatchObject({ ok: false, reason: 'malformed_token' });
  });
});

describe('claim rules: reason and sentence', () => {
  const epoch = 'must be an integer number of seconds since the epoch; got';
  it.each([
    [{ sub: undefined }, 'missing_claim', 'sub is required'],
    [{ iat: undefined }, 'missing_claim', 'iat is required'],
    [{ exp: undefined }, 'missing_claim', 'exp is required'],
    [{ jti: undefined }, 'missing_claim', 'jti is required'],
    [{ sub: '"acme"' }, 'invalid_subject', 'sub must be ces:customer:<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit); got a string without the ces:customer: prefix'],
    [{ sub: '"ces:customer:-acme"' }, 'invalid_subject', 'sub must be ces:customer:<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit); got a key name outside that grammar'],
    [{ sub: '42' }, 'invalid_subject', 'sub must be ces:customer:<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit); got a number'],
    // PyJWT with time.time(), the Go jwt tool's -claim iat=N, hand-written JSON, JavaScript's Date arithmetic.
    [{ iat: `${NOW}.5` }, 'invalid_claim', `iat ${epoch} a number with a fraction`],
    [{ iat: `"${NOW}"` }, 'invalid_claim', `iat ${epoch} a number in a string`],
    [{ iat: '"yesterday"' }, 'invalid_claim', `iat ${epoch} a string of 9 characters`],
    [{ iat: `${NOW}.0` }, 'invalid_claim', `iat ${epoch} a whole number written with a decimal point or an exponent`],
    [{ iat: '1.79e9' }, 'invalid_claim', `iat ${epoch} a whole number written with a decimal point or an exponent`],
    [{ iat: '-1' }, 'invalid_claim', `iat ${epoch} a negative number`],
    [{ iat: '9007199254740993' }, 'invalid_claim', `iat ${epoch} a number above 2^53`],
    [{ iat: 'null' }, 'invalid_claim', `iat ${epoch} null`],
    [{ exp: `${NOW + 60}.5` }, 'invalid_claim', `exp ${epoch} a number with a fraction`],
    [{ exp: `"${NOW + 60}"` }, 'invalid_claim', `exp ${epoch} a number in a string`],
    [{ nbf: `${NOW}.5` }, 'invalid_claim', `nbf ${epoch} a number with a fraction`],
    [{ nbf: 'false' }, 'invalid_claim', `nbf ${epoch} a boolean`],
    [{ jti: '""' }, 'invalid_claim', 'jti must be a non-empty string of at most 256 characters; got an empty string'],
    [{ jti: '12' }, 'invalid_claim', 'jti must be a non-empty string of at most 256 characters; got a number'],
    [{ jti: `"${'j'.repeat(257)}"` }, 'invalid_claim', 'jti must be a non-empty string of at most 256 characters; got a string of 257 characters'],
    [{ jti: '"a\\u0000b"' }, 'invalid_claim', 'jti must be printable text (no control characters, no unpaired surrogates)'],
    [{ exp: String(NOW) }, 'invalid_claim', 'exp must be after iat; got exp - iat = 0 s'],
    [{ exp: String(NOW - 5) }, 'invalid_claim', 'exp must be after iat; got exp - iat = -5 s'],
    [{ exp: String(NOW + 1801) }, 'lifetime_too_long', 'exp - iat is 1801 s; at most 1800 s is allowed'],
    // Java's Date.getTime() and JavaScript's Date.now() are milliseconds.
    [{ iat: String(NOW * 1000), exp: String(NOW * 1000 + 1_800_000) }, 'lifetime_too_long', 'exp - iat is 1800000 s; at most 1800 s is allowed; exp and iat look like milliseconds'],
    [{ exp: String(NOW * 1000) }, 'lifetime_too_long', `exp - iat is ${NOW * 1000 - NOW} s; at most 1800 s is allowed; exp looks like milliseconds`],
    [{ iat: String(NOW * 1000), exp: String(NOW * 1000 + 600) }, 'token_not_yet_valid', `iat is ${NOW * 1000 - NOW} s in the future; ${SKEW}; iat looks like milliseconds`],
    [{ iat: String(NOW * 1000), exp: String(NOW) }, 'invalid_claim', `exp must be after iat; got exp - iat = ${NOW - NOW * 1000} s; iat looks like milliseconds`],
    [{ iat: String(NOW - 100), exp: String(NOW - 31) }, 'token_expired', `exp is 31 s in the past; ${SKEW}`],
    [{ iat: String(NOW + 31), exp: String(NOW + 90) }, 'token_not_yet_valid', `iat is 31 s in the future; ${SKEW}`],
    [{ nbf: String(NOW + 31) }, 'token_not_yet_valid', `nbf is 31 s in the future; ${SKEW}`],
    [{ nbf: String(NOW * 1000) }, 'token_not_yet_valid', `nbf is ${NOW * 1000 - NOW} s in the future; ${SKEW}; nbf looks like milliseconds`],
  ])('%j → %s: %s', (fields, reason, detail) => {
    expect(claimsDenial(fields)).toMatchObject({ reason, detail });
  });

  it('iat of 0 is an integer number of seconds: the token is judged by its time window, not refused as a bad claim', () => {
    expect(claimsDenial({ iat: '0', exp: '60' })).toMatchObject({ reason: 'token_expired', detail: `exp is ${NOW - 60} s in the past; ${SKEW}` });
    expect(checkClaims(claims({ iat: '0', exp: '60' }), 60, rules)).toMatchObject({ ok: true, iat: 0, exp: 60 });
  });

  it('the boundaries pass: lifetime exactly 1800 s, exp exactly at the skew edge, iat exactly at the skew edge', () => {
    expect(checkClaims(claims({ exp: String(NOW + 1800) }), NOW, rules)).toMatchObject({ ok: true });
    expect(checkClaims(claims({ iat: String(NOW - 100), exp: String(NOW - 29) }), NOW, rules)).toMatchObject({ ok: true });
    expect(checkClaims(claims({ iat: String(NOW + 30), exp: String(NOW + 90) }), NOW, rules)).toMatchObject({ ok: true });
  });
});

describe('the public detail', () => {
  it('is the sentence for denials decided from the token alone, and empty for key, name, certificate and replay denials', () => {
    const withDetail = INTERNAL_REASONS.filter((reason) => publicDetailOf(deny(reason, 'a sentence')) !== '');
    expect(withDetail).toEqual(['malformed_authorization', 'malformed_token', 'token_too_large', 'unsupported_algorithm', 'invalid_subject', 'missing_claim', 'invalid_claim', 'token_expired', 'token_not_yet_valid', 'lifetime_too_long']);
    expect(publicDetailOf(deny('unknown_key', 'no active key is registered under this name'))).toBe('');
    expect(publicDetailOf(deny('certificate_revoked', 'the client certificate is on the revocation list'))).toBe('');
  });

  it('is dropped, never repaired, when it could break the JSON body or a header: quotes, backslashes, CR/LF, non-ASCII, overlong', () => {
    for (const unsafe of ['say "hi"', 'a\\b', 'a\r\nSet-Cookie: x=1', 'a\nb', 'exp − iat', 'x'.repeat(MAX_PUBLIC_DETAIL_LENGTH + 1), '']) {
      expect(publicDetailOf(deny('invalid_claim', unsafe)), JSON.stringify(unsafe)).toBe('');
    }
    expect(publicDetailOf(deny('invalid_claim', 'x'.repeat(MAX_PUBLIC_DETAIL_LENGTH)))).toHaveLength(MAX_PUBLIC_DETAIL_LENGTH);
  });

  it('never quotes what the client sent: attacker-chosen header and claim text stays out, and every sentence is safe to send', () => {
    const marker = 'EVIL<marker>';
    const denials = [
      headerDenial(`{"alg":"${marker}"}`),
      headerDenial(`{"alg":"RS512","kid":"${marker.repeat(20)}"}`),
      claimsDenial({ sub: `"${marker}"` }),
      claimsDenial({ sub: `"ces:customer:${marker}"` }),
      claimsDenial({ iat: `"${marker}"` }),
      claimsDenial({ exp: `"${marker}"` }),
      claimsDenial({ nbf: `"${marker}"` }),
      claimsDenial({ jti: `"${marker.repeat(30)}"` }),
    ];
    for (const denial of denials) {
      expect(denial.detail).not.toContain('EVIL');
      expect(publicDetailOf(denial)).toBe(denial.detail);
    }
  });
});
