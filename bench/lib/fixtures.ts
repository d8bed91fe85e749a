import { createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { rsaJwkThumbprint } from '../../lambdas/core/key-material.js';

export const KEY_NAME = 'acme';
export const SUBJECT = `ces:customer:${KEY_NAME}`;

export interface BenchKey {
  readonly bits: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly jwk: { readonly kty: 'RSA'; readonly n: string; readonly e: string };
  readonly kid: string;
}

const keys = new Map<number, BenchKey>();

/** One RSA key pair per size, generated at run time (nothing secret is checked in). */
export function benchKey(bits: number): BenchKey {
  const cached = keys.get(bits);
  if (cached) return cached;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
  const key = benchKeyFrom(privateKey);
  keys.set(bits, key);
  return key;
}

/** The bench key of a given private key (the instruction bench loads one from a file: the same key in every process). */
export function benchKeyFrom(privateKey: KeyObject): BenchKey {
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' });
  const jwk = { kty: 'RSA' as const, n: String(exported.n), e: String(exported.e) };
  return {
    bits: privateKey.asymmetricKeyDetails?.modulusLength ?? 0,
    privateKey,
    publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk,
    kid: rsaJwkThumbprint(jwk),
  };
}

export interface BenchToken {
  readonly token: string;
  /** `base64url(header) '.' base64url(payload)`: what the floor verifies. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/**
 * A contract-conforming RS512 token, shaped like a real consumer's: kid in the header (aws-jwt-verify
 * needs one), sub/iat/exp/jti and one extra claim. Valid for 15 minutes from `nowSeconds`. RS512
 * signatures are deterministic: a fixed key, time and jti give the same token.
 */
export function mintBenchToken(key: BenchKey, nowSeconds: number, name = KEY_NAME, jti = randomUUID()): BenchToken {
  const header = { alg: 'RS512', typ: 'JWT', kid: key.kid };
  const payload = { sub: `ces:customer:${name}`, iat: nowSeconds, exp: nowSeconds + 900, jti, scope: 'orders:read' };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign('sha512', Buffer.from(input), key.privateKey);
  return { token: `${input}.${signature.toString('base64url')}`, signingInput: Buffer.from(input), signature };
}

/** The token with one signature bit flipped: every contender must refuse it (a sanity check, not timed). */
export function tamper(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  signature[10] = (signature[10] ?? 0) ^ 0x01;
  return `${token.slice(0, dot)}.${signature.toString('base64url')}`;
}

/**
 * What the keygate contract checks and a generic JWT library cannot express through its options:
 * sub grammar, integer iat/exp, lifetime at most 1800 s, jti of 1-256 characters. Peers run it after
 * their own verification so that every contender makes the same decision; it costs well under 1 µs.
 */
const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function contractExtras(payload: Record<string, unknown>): void {
  const { sub, iat, exp, jti } = payload;
  if (typeof sub !== 'string' || !sub.startsWith('ces:customer:') || !KEY_NAME_PATTERN.test(sub.slice(13))) throw new Error('invalid_subject');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw new Error('invalid_claim');
  if ((exp as number) - (iat as number) > 1800 || (exp as number) <= (iat as number)) throw new Error('lifetime_too_long');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new Error('invalid_claim');
}
