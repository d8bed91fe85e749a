import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSignature, checkTokenBeforeSignature, verifyRs512Signature, type UnverifiedToken, type VerificationKey } from '../../../lambdas/core/token-checks.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { verifyToken } from '../../../lambdas/core/verify-token.js';
import { rsaKeyPair, signRaw, verificationKey } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const rules = DEFAULT_TOKEN_RULES;
const pair = rsaKeyPair(2048);
const other = rsaKeyPair(2048, 'other');
const CLAIMS = `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW + 60},"jti":"j-1","scope":"orders"}`;

/** A key of another type under an RSA key's kid and length: node:crypto throws when asked to verify RS512 with it. */
const ed25519Key = (kid: string): VerificationKey => ({ kid, key: generateKeyPairSync('ed25519').publicKey, modulusBytes: 256 });

function unverified(header = '{"alg":"RS512"}', claims = CLAIMS): UnverifiedToken {
  const result = checkTokenBeforeSignature(signRaw(pair, header, claims), NOW, rules);
  if (!result.ok) throw new Error(`expected the token to pass: ${result.detail}`);
  return result;
}

const INVALID_SIGNATURE = { ok: false, reason: 'invalid_signature', publicReason: 'invalid_signature', detail: 'the signature does not verify with any active key of this name' };

describe('checkTokenBeforeSignature', () => {
  it('hands on every fact the signature check and the caller need, and nothing is trusted yet', () => {
    const token = signRaw(pair, '{"alg":"RS512","kid":"k-1"}', CLAIMS);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    expect(checkTokenBeforeSignature(token, NOW, rules)).toEqual({
      ok: true,
      keyName: 'acme',
      kid: 'k-1',
      jti: 'j-1',
      iat: NOW,
      exp: NOW + 60,
      payload: { sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j-1', scope: 'orders' },
      signingInput: Buffer.from(`${header}.${payload}`),
      signature: Buffer.from(signature, 'base64url'),
    });
  });

  it('checks the header of every token, also one whose header segment was seen before', () => {
    const header = '{"alg":"RS512"}';
    expect(checkTokenBeforeSignature(signRaw(pair, header, CLAIMS), NOW, rules)).toMatchObject({ ok: true });
    // The same header segment again, now with claims that fail: the claims are still checked.
    expect(checkTokenBeforeSignature(signRaw(pair, header, `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW},"jti":"a"}`), NOW, rules)).toMatchObject({ reason: 'invalid_claim', detail: 'exp must be after iat; got exp - iat = 0 s' });
    // A header refused once is refused again (a refused header is never remembered as checked).
    const refused = '{"alg":"RS512","kid":""}';
    for (let i = 0; i < 2; i++) expect(checkTokenBeforeSignature(signRaw(pair, refused, CLAIMS), NOW, rules)).toMatchObject({ reason: 'malformed_token' });
  });

  it('still checks headers after many distinct ones (the remembered headers are emptied when full)', () => {
    for (let i = 0; i < 200; i++) {
      const kid = `kid-${i}`;
      expect(checkTokenBeforeSignature(signRaw(pair, `{"alg":"RS512","kid":"${kid}"}`, CLAIMS), NOW, rules)).toMatchObject({ ok: true, kid });
    }
    const long = `{"alg":"RS512","kid":"${'k'.repeat(128)}","x":"${'p'.repeat(400)}"}`;
    for (let i = 0; i < 2; i++) expect(checkTokenBeforeSignature(signRaw(pair, long, CLAIMS), NOW, rules)).toMatchObject({ ok: true, kid: 'k'.repeat(128) });
  });
});

describe('verifyRs512Signature', () => {
  const input = Buffer.from('header.payload');
  const signature = Buffer.from(signRaw(pair, '{}', '{}').split('.')[2] as string, 'base64url');
  const goodSignature = () => {
    const token = signRaw(pair, '{"alg":"RS512"}', CLAIMS);
    const [h, p, s] = token.split('.') as [string, string, string];
    return { signingInput: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
  };

  it('is true for the key that signed, false for another', () => {
    const { signingInput, signature: good } = goodSignature();
    expect(verifyRs512Signature(verificationKey(pair), signingInput, good)).toBe(true);
    expect(verifyRs512Signature(verificationKey(other), signingInput, good)).toBe(false);
  });

  it('is false, never an exception, when node:crypto throws (a key of another type)', () => {
    expect(signature).toHaveLength(256);
    expect(verifyRs512Signature(ed25519Key('ed'), input, signature)).toBe(false);
  });

  it('refuses a signature whose length is not the modulus length, even a valid one', () => {
    const { signingInput, signature: good } = goodSignature();
    const key = verificationKey(pair);
    expect(verifyRs512Signature({ ...key, modulusBytes: 255 }, signingInput, good)).toBe(false);
    expect(verifyRs512Signature({ ...key, modulusBytes: 257 }, signingInput, good)).toBe(false);
    expect(verifyRs512Signature(key, signingInput, good.subarray(1))).toBe(false);
  });
});

describe('checkSignature', () => {
  it('denies a name without keys as unknown_key, sent to the caller as invalid_signature', () => {
    const expected = { ok: false, reason: 'unknown_key', publicReason: 'invalid_signature', detail: 'no active key is registered under this name' };
    expect(checkSignature(unverified(), undefined)).toEqual(expected);
    expect(checkSignature(unverified(), [])).toEqual(expected);
  });

  it('denies a kid that matches none of the keys as unknown_kid', () => {
    expect(checkSignature(unverified('{"alg":"RS512","kid":"nope"}'), [verificationKey(pair), verificationKey(other)])).toEqual({
      ok: false,
      reason: 'unknown_kid',
      publicReason: 'invalid_signature',
      detail: 'kid does not match any active key of this name',
    });
  });

  it('returns the verified identity: the name, the kid of the key that verified, jti, iat, exp and the claims', () => {
    expect(checkSignature(unverified(), [verificationKey(other), verificationKey(pair)])).toEqual({
      ok: true,
      keyName: 'acme',
      kid: pair.kid,
      jti: 'j-1',
      iat: NOW,
      exp: NOW + 60,
      payload: { sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j-1', scope: 'orders' },
    });
  });

  it('a kid selects that key alone: the right key under another kid is not tried', () => {
    const token = unverified(`{"alg":"RS512","kid":"${other.kid}"}`);
    expect(checkSignature(token, [verificationKey(pair), verificationKey(other)])).toEqual(INVALID_SIGNATURE);
    expect(checkSignature(unverified(`{"alg":"RS512","kid":"${pair.kid}"}`), [verificationKey(other), verificationKey(pair)])).toMatchObject({ ok: true, kid: pair.kid });
  });

  it('a key that makes node:crypto throw is a failed candidate: denied alone, the next key still tried', () => {
    expect(checkSignature(unverified(), [ed25519Key('ed')])).toEqual(INVALID_SIGNATURE);
    expect(checkSignature(unverified(), [ed25519Key('ed'), verificationKey(pair)])).toMatchObject({ ok: true, kid: pair.kid });
  });

  it('through verifyToken too: a throwing key never allows', () => {
    const token = signRaw(pair, '{"alg":"RS512"}', CLAIMS);
    expect(verifyToken(token, { nowSeconds: NOW, rules, keysFor: () => [ed25519Key('ed')] })).toEqual(INVALID_SIGNATURE);
  });
});

describe('the cache of checked headers', () => {
  it('stays bounded: 30,000 distinct headers (a hostile client varying kid) leave the heap where it was', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const [, payload, signature] = signRaw(pair, '{"alg":"RS512"}', CLAIMS).split('.') as [string, string, string];
    const tokenWithKid = (i: number) => `${Buffer.from(`{"alg":"RS512","kid":"${String(i).padStart(128, 'k')}"}`).toString('base64url')}.${payload}.${signature}`;
    const run = (from: number, count: number) => {
      for (let i = from; i < from + count; i++) expect(checkTokenBeforeSignature(tokenWithKid(i), NOW, rules).ok).toBe(true);
    };
    run(0, 1_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    run(1_000, 30_000);
    gc();
    // Unbounded, each header would keep its ~240-character segment and its parsed object: > 10 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(3 * 1024 * 1024);
  });
});
