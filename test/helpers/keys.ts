import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { importStoredJwk, rsaJwkThumbprint } from '../../lambdas/core/key-material.js';
import type { VerificationKey } from '../../lambdas/core/token-checks.js';

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly jwk: { kty: 'RSA'; n: string; e: string };
  readonly kid: string;
  readonly bits: number;
}

const generated = new Map<string, TestKeyPair>();

/** An RSA key pair generated at run time; `label` lets a test ask for several distinct keys of one size. */
export function rsaKeyPair(bits = 2048, label = 'default'): TestKeyPair {
  const cacheKey = `${bits}:${label}`;
  const cached = generated.get(cacheKey);
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 });
  const exported = publicKey.export({ format: 'jwk' });
  const jwk = { kty: 'RSA' as const, n: exported.n as string, e: exported.e as string };
  const pair: TestKeyPair = {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk,
    kid: rsaJwkThumbprint(jwk),
    bits,
  };
  generated.set(cacheKey, pair);
  return pair;
}

export function verificationKey(pair: TestKeyPair): VerificationKey {
  return importStoredJwk(pair.jwk, pair.kid, { minBits: 2048, maxBits: 8192 });
}

export interface MintOptions {
  readonly name?: string;
  readonly nowSeconds?: number;
  readonly ttlSeconds?: number;
  readonly kid?: string;
  readonly claims?: JWTPayload;
  readonly header?: Record<string, unknown>;
  readonly omit?: readonly string[];
}

/** A contract-conforming RS512 token minted with jose; options bend single rules for deny tests. */
export async function mintToken(pair: TestKeyPair, options: MintOptions = {}): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    sub: `ces:customer:${options.name ?? 'acme'}`,
    iat: now,
    exp: now + (options.ttlSeconds ?? 300),
    jti: randomUUID(),
    ...options.claims,
  };
  for (const claim of options.omit ?? []) delete claims[claim];
  const header = { alg: 'RS512', ...(options.kid ? { kid: options.kid } : {}), ...options.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(pair.privateKey);
}

/** Signs raw header and payload JSON text as given (for tokens jose would refuse to produce). */
export function signRaw(pair: TestKeyPair, headerJson: string, payloadJson: string): string {
  const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  const signature = sign('sha512', Buffer.from(input), pair.privateKey).toString('base64url');
  return `${input}.${signature}`;
}
