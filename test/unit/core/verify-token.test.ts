import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import type { VerificationKey } from '../../../lambdas/core/token-checks.js';
import { verifyToken } from '../../../lambdas/core/verify-token.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey, type TestKeyPair } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const rules = DEFAULT_TOKEN_RULES;

function check(token: string, keys: readonly VerificationKey[] | undefined, nowSeconds = NOW, name = 'acme') {
  return verifyToken(token, { nowSeconds, rules, keysFor: (n) => (n === name ? keys : undefined) });
}

function reasonOf(result: ReturnType<typeof check>) {
  return result.ok ? 'allowed' : result.reason;
}

describe.each([2048, 4096])('verifyToken with %i-bit keys', (bits) => {
  const pair = rsaKeyPair(bits);
  const keys = [verificationKey(pair)];

  it('allows a contract-conforming token and returns the identity', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    const result = check(token, keys);
    expect(result).toMatchObject({ ok: true, keyName: 'acme', kid: pair.kid, exp: NOW + 300 });
  });

  it('refuses a token signed by another key with invalid_signature', async () => {
    const other = rsaKeyPair(bits, 'other');
    const token = await mintToken(other, { nowSeconds: NOW });
    expect(check(token, keys)).toMatchObject({ ok: false, reason: 'invalid_signature', publicReason: 'invalid_signature' });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 600, jti: 'x' })).toString('base64url');
    expect(reasonOf(check(`${h}.${forged}.${s}`, keys))).toBe('invalid_signature');
  });
});

describe('verifyToken rules', () => {
  const pair: TestKeyPair = rsaKeyPair(2048);
  const keys = [verificationKey(pair)];
  const mint = (options: Parameters<typeof mintToken>[1] = {}) => mintToken(pair, { nowSeconds: NOW, ...options });
  const raw = (header: string, payload: string) => signRaw(pair, header, payload);
  const goodPayload = (extra = '') => `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW + 60},"jti":"a"${extra}}`;

  it.each([
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['empty string', ''],
  ])('malformed_token: %s', (_label, token) => {
    expect(check(token, keys)).toMatchObject({ reason: 'malformed_token', publicReason: 'malformed_token' });
  });

  it('token_too_large: over 8 KiB is refused before decoding', async () => {
    const token = await mint({ claims: { pad: 'x'.repeat(8 * 1024) } });
    expect(check(token, keys)).toMatchObject({ reason: 'token_too_large', publicReason: 'malformed_token' });
  });

  it.each([
    ['padding', (t: string) => t.replace(/\.([^.]+)$/, '.$1==')],
    ['whitespace', (t: string) => t.replace('.', '. ')],
    ['standard base64 characters', (t: string) => t.replace(/-/g, '+').replace(/_/g, '/')],
  ])('malformed_token: non-canonical base64url (%s)', async (_label, bend) => {
    const token = await mint();
    const bent = bend(token);
    if (bent === token) return; // the alphabet case only bites when the token has - or _
    expect(reasonOf(check(bent, keys))).toBe('malformed_token');
  });

  it('malformed_token: non-zero trailing bits in the signature segment', async () => {
    const token = await mint();
    const sig = token.split('.')[2] as string;
    // 256-byte signature → 342 chars, last char carries 4 unused bits; flip one of them.
    const last = sig.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bent = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const token2 = `${token.slice(0, token.length - 1)}${bent}`;
    expect(reasonOf(check(token2, keys))).toBe('malformed_token');
  });

  it('malformed_token: duplicate claims (two parsers could disagree)', () => {
    const token = raw('{"alg":"RS512"}', `{"sub":"ces:customer:acme","sub":"ces:customer:other","iat":${NOW},"exp":${NOW + 60},"jti":"a"}`);
    expect(check(token, keys)).toMatchObject({ reason: 'malformed_token', detail: expect.stringContaining('duplicate') });
  });

  it.each([
    ['header is an array', '[1]', goodPayload()],
    ['payload is a string', '{"alg":"RS512"}', '"x"'],
    ['payload has a BOM', '{"alg":"RS512"}', `\ufeff${goodPayload()}`],
    ['header has trailing data', '{"alg":"RS512"}x', goodPayload()],
    ['deep nesting', '{"alg":"RS512"}', goodPayload(`,"n":${'['.repeat(40)}${']'.repeat(40)}`)],
  ])('malformed_token: %s', (_label, header, payload) => {
    expect(reasonOf(check(raw(header, payload), keys))).toBe('malformed_token');
  });

  it('malformed_token: invalid UTF-8 in the payload', () => {
    const h = Buffer.from('{"alg":"RS512"}').toString('base64url');
    const p = Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]).toString('base64url');
    expect(reasonOf(check(`${h}.${p}.AAAA`, keys))).toBe('malformed_token');
  });

  it.each(['HS512', 'RS256', 'PS512', 'none', 'rs512'])('unsupported_algorithm: alg %s', (alg) => {
    const token = raw(JSON.stringify({ alg }), goodPayload());
    expect(check(token, keys)).toMatchObject({ reason: 'unsupported_algorithm', publicReason: 'unsupported_algorithm' });
  });

  it('unsupported_algorithm: alg missing', () => {
    expect(reasonOf(check(raw('{"typ":"JWT"}', goodPayload()), keys))).toBe('unsupported_algorithm');
  });

  it('malformed_token: crit is refused', () => {
    expect(reasonOf(check(raw('{"alg":"RS512","crit":["exp"],"exp":1}', goodPayload()), keys))).toBe('malformed_token');
  });

  it('never uses a key embedded in the header (jwk, x5c, jku, x5u)', async () => {
    const attacker = rsaKeyPair(2048, 'attacker');
    const token = await mintToken(attacker, {
      nowSeconds: NOW,
      header: { jwk: attacker.jwk, jku: 'https://evil.example/jwks', x5u: 'https://evil.example/c', x5c: ['AAAA'] },
    });
    expect(reasonOf(check(token, keys))).toBe('invalid_signature');
  });

  it('ignores unknown header parameters and claims', async () => {
    const token = await mint({ header: { typ: 'JWT', foo: 1 }, claims: { scope: 'x', aud: 'y' } });
    expect(reasonOf(check(token, keys))).toBe('allowed');
  });

  it.each([
    ['ces:customer:', 'empty name'],
    ['ces:customer:.hidden', 'leading dot'],
    ['ces:customer:a/b', 'slash'],
    ['ces:customer:a:b', 'colon'],
    [`ces:customer:${'a'.repeat(65)}`, '65 characters'],
    ['ces:partner:acme', 'other prefix'],
    ['CES:customer:acme', 'case'],
  ])('invalid_subject: %s (%s)', async (sub) => {
    expect(check(await mint({ claims: { sub } }), keys)).toMatchObject({ reason: 'invalid_subject', publicReason: 'invalid_subject' });
  });

  it('invalid_subject: sub not a string', () => {
    expect(reasonOf(check(raw('{"alg":"RS512"}', `{"sub":42,"iat":${NOW},"exp":${NOW + 60},"jti":"a"}`), keys))).toBe('invalid_subject');
  });

  it('accepts a 64-character name', async () => {
    const name = `A${'b'.repeat(62)}9`;
    const result = verifyToken(await mint({ name }), { nowSeconds: NOW, rules, keysFor: () => keys });
    expect(result).toMatchObject({ ok: true, keyName: name });
  });

  it.each(['sub', 'iat', 'exp', 'jti'])('missing_claim: %s', async (claim) => {
    expect(check(await mint({ omit: [claim] }), keys)).toMatchObject({ reason: 'missing_claim', publicReason: 'invalid_claims' });
  });

  it.each([
    ['iat as a string', `"iat":"${NOW}","exp":${NOW + 60}`, 'invalid_claim'],
    ['exp as a float', `"iat":${NOW},"exp":${NOW + 60}.5`, 'invalid_claim'],
    ['exp beyond safe integers', `"iat":${NOW},"exp":9007199254740993`, 'invalid_claim'],
    ['iat negative', `"iat":-1,"exp":${NOW + 60}`, 'invalid_claim'],
    ['exp before iat', `"iat":${NOW},"exp":${NOW - 1}`, 'invalid_claim'],
    ['exp equal to iat', `"iat":${NOW},"exp":${NOW}`, 'invalid_claim'],
    ['exp overflowing to Infinity', `"iat":${NOW},"exp":1e400`, 'malformed_token'],
    ['iat written with a fraction (whole value)', `"iat":${NOW}.0,"exp":${NOW + 60}`, 'invalid_claim'],
    ['exp written with an exponent (whole value)', `"iat":${NOW},"exp":${(NOW + 60) / 10}e1`, 'invalid_claim'],
    ['nbf written with an exponent', `"iat":${NOW},"exp":${NOW + 60},"nbf":${NOW / 10}E+1`, 'invalid_claim'],
  ])('%s is refused', (_label, times, reason) => {
    const result = check(raw('{"alg":"RS512"}', `{"sub":"ces:customer:acme",${times},"jti":"a"}`), keys);
    expect(reasonOf(result)).toBe(reason);
  });

  it.each([
    ['empty', ''],
    ['257 characters', 'j'.repeat(257)],
    ['with a NUL', 'a\u0000b'],
    ['with a newline', 'a\nb'],
    ['with DEL', 'a\u007f'],
    ['with a lone high surrogate', 'a\ud800'],
    ['with a lone low surrogate', '\udc00b'],
  ])('invalid_claim: jti %s', async (_label, jti) => {
    expect(check(await mint({ claims: { jti } }), keys)).toMatchObject({ reason: 'invalid_claim', publicReason: 'invalid_claims' });
  });

  it('invalid_claim: jti not a string', () => {
    expect(reasonOf(check(raw('{"alg":"RS512"}', `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW + 60},"jti":7}`), keys))).toBe('invalid_claim');
  });

  it('accepts a jti of any printable text, astral characters included', async () => {
    expect(reasonOf(check(await mint({ claims: { jti: 'é-日本-😀-a b' } }), keys))).toBe('allowed');
  });

  it('accepts a jti of exactly 256 characters', async () => {
    expect(reasonOf(check(await mint({ claims: { jti: 'j'.repeat(256) } }), keys))).toBe('allowed');
  });

  it('lifetime: exactly 1800 s is allowed, 1801 s is lifetime_too_long (no skew on the lifetime)', async () => {
    expect(reasonOf(check(await mint({ ttlSeconds: 1800 }), keys))).toBe('allowed');
    expect(check(await mint({ ttlSeconds: 1801 }), keys)).toMatchObject({ reason: 'lifetime_too_long', publicReason: 'lifetime_too_long' });
  });

  it('lifetime: honours a lower configured maximum', async () => {
    const token = await mint({ ttlSeconds: 120 });
    const result = verifyToken(token, { nowSeconds: NOW, rules: { ...rules, maxLifetimeSeconds: 60 }, keysFor: () => keys });
    expect(reasonOf(result)).toBe('lifetime_too_long');
  });

  it('expiry: valid until exp + skew, token_expired after', async () => {
    const token = await mint({ ttlSeconds: 60 });
    expect(reasonOf(check(token, keys, NOW + 60 + 29))).toBe('allowed');
    expect(check(token, keys, NOW + 60 + 30)).toMatchObject({ reason: 'token_expired', publicReason: 'token_expired' });
  });

  it('expiry: skew 0 makes exp exact', async () => {
    const token = await mint({ ttlSeconds: 60 });
    const at = (now: number) => verifyToken(token, { nowSeconds: now, rules: { ...rules, clockSkewSeconds: 0 }, keysFor: () => keys });
    expect(reasonOf(at(NOW + 59))).toBe('allowed');
    expect(reasonOf(at(NOW + 60))).toBe('token_expired');
  });

  it('iat in the future: allowed within skew, token_not_yet_valid beyond', async () => {
    expect(reasonOf(check(await mint({ nowSeconds: NOW + 30 }), keys))).toBe('allowed');
    expect(check(await mint({ nowSeconds: NOW + 31 }), keys)).toMatchObject({ reason: 'token_not_yet_valid', publicReason: 'token_not_yet_valid' });
  });

  it('nbf: optional, checked with skew, must be an integer', async () => {
    expect(reasonOf(check(await mint({ claims: { nbf: NOW + 30 } }), keys))).toBe('allowed');
    expect(reasonOf(check(await mint({ claims: { nbf: NOW + 31 } }), keys))).toBe('token_not_yet_valid');
    expect(reasonOf(check(raw('{"alg":"RS512"}', goodPayload(',"nbf":"soon"')), keys))).toBe('invalid_claim');
  });

  it('unknown_key: no keys registered under the name (public reason does not reveal it)', async () => {
    const result = check(await mint({ name: 'nobody' }), keys);
    expect(result).toMatchObject({ reason: 'unknown_key', publicReason: 'invalid_signature' });
  });

  it('unknown_kid: kid matches no active key', async () => {
    expect(check(await mint({ kid: 'not-a-kid' }), keys)).toMatchObject({ reason: 'unknown_kid', publicReason: 'invalid_signature' });
  });

  it('rotation: with two keys, a token verifies with either; kid selects exactly one', async () => {
    const next = rsaKeyPair(2048, 'next');
    const both = [verificationKey(pair), verificationKey(next)];
    expect(check(await mintToken(next, { nowSeconds: NOW }), both)).toMatchObject({ ok: true, kid: next.kid });
    expect(check(await mintToken(pair, { nowSeconds: NOW, kid: pair.kid }), both)).toMatchObject({ ok: true, kid: pair.kid });
    // Signed by the new key but labelled with the old kid: only the old key is tried.
    expect(reasonOf(check(await mintToken(next, { nowSeconds: NOW, kid: pair.kid }), both))).toBe('invalid_signature');
  });

  it('malformed_token: kid not a string', () => {
    expect(reasonOf(check(raw('{"alg":"RS512","kid":5}', goodPayload()), keys))).toBe('malformed_token');
  });

  it('reports claims problems before looking at keys (no key look-up for an expired token)', async () => {
    let lookups = 0;
    const token = await mint({ ttlSeconds: 60 });
    verifyToken(token, { nowSeconds: NOW + 3600, rules, keysFor: () => { lookups++; return keys; } });
    expect(lookups).toBe(0);
  });
});
