import { verify } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { importStoredJwk } from '../../lambdas/core/key-material.js';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import type { VerificationKey } from '../../lambdas/core/token-checks.js';
import { verifyToken } from '../../lambdas/core/verify-token.js';
import { contractExtras, type BenchKey, type BenchToken } from './fixtures.js';
import type { Contender } from './measure.js';

export interface VerifyContenders {
  /** floor, keygate, then the peers. */
  readonly contenders: readonly Contender[];
  /** Whether a contender other than the floor accepts `token` (false when it throws or refuses). */
  accepts(name: string, token: string): Promise<boolean>;
}

/**
 * The verify-<bits> contenders over one token: crypto.verify (the floor), keygate's verifyToken and
 * the peers, each set up as close to keygate's checks as its options allow. `fixedNowSeconds`
 * pins every contender's clock where its options take one (the instruction bench also pins
 * Date.now); without it they read the real clock.
 */
export async function verifyContenders(key: BenchKey, { token, signingInput, signature }: BenchToken, fixedNowSeconds?: number): Promise<VerifyContenders> {
  const verificationKey: VerificationKey = importStoredJwk(key.jwk, key.kid, { minBits: 2048, maxBits: 8192 });
  const keys = [verificationKey];
  const keysFor = (name: string) => (name === 'acme' ? keys : undefined);
  const keygateOptions =
    fixedNowSeconds === undefined
      ? { get nowSeconds() { return Date.now() / 1000; }, rules: DEFAULT_TOKEN_RULES, keysFor }
      : { nowSeconds: fixedNowSeconds, rules: DEFAULT_TOKEN_RULES, keysFor };
  const currentDate = fixedNowSeconds === undefined ? undefined : new Date(fixedNowSeconds * 1000);

  const joseKey = await importJWK({ ...key.jwk, alg: 'RS512' }, 'RS512');
  const joseOptions = { algorithms: ['RS512'], clockTolerance: 30, requiredClaims: ['sub', 'iat', 'exp', 'jti'], ...(currentDate && { currentDate }) };
  const fastJwtVerify = createVerifier({
    key: key.publicKeyPem,
    algorithms: ['RS512'],
    clockTolerance: 30_000,
    requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    cache: false,
    ...(fixedNowSeconds !== undefined && { clockTimestamp: fixedNowSeconds * 1000 }),
  });
  const jsonwebtokenOptions = { algorithms: ['RS512' as const], clockTolerance: 30, ...(fixedNowSeconds !== undefined && { clockTimestamp: fixedNowSeconds }) };
  const awsVerifier = JwtVerifier.create({ issuer: null, audience: null, jwksUri: 'https://keys.example/.well-known/jwks.json', graceSeconds: 30 });
  awsVerifier.cacheJwks({ keys: [{ ...key.jwk, kid: key.kid, alg: 'RS512', use: 'sig' }] });

  const check: Record<string, (t: string) => unknown> = {
    keygate: (t) => {
      if (!verifyToken(t, keygateOptions).ok) throw new Error('refused');
    },
    jose: async (t) => contractExtras((await jwtVerify(t, joseKey, joseOptions)).payload),
    'fast-jwt': (t) => contractExtras(fastJwtVerify(t) as Record<string, unknown>),
    'aws-jwt-verify': (t) => contractExtras(awsVerifier.verifySync(t) as Record<string, unknown>),
    jsonwebtoken: (t) => contractExtras(jsonwebtoken.verify(t, key.publicKey, jsonwebtokenOptions) as Record<string, unknown>),
  };
  const contenders: Contender[] = [
    { name: 'floor', fn: () => verify('sha512', signingInput, key.publicKey, signature) },
    { name: 'keygate', fn: () => verifyToken(token, keygateOptions).ok },
    { name: 'jose', fn: async () => contractExtras((await jwtVerify(token, joseKey, joseOptions)).payload) },
    { name: 'fast-jwt', fn: () => contractExtras(fastJwtVerify(token) as Record<string, unknown>) },
    { name: 'aws-jwt-verify', fn: () => contractExtras(awsVerifier.verifySync(token) as Record<string, unknown>) },
    { name: 'jsonwebtoken', fn: () => contractExtras(jsonwebtoken.verify(token, key.publicKey, jsonwebtokenOptions) as Record<string, unknown>) },
  ];
  return {
    contenders,
    accepts: (name, t) =>
      Promise.resolve()
        .then(() => {
          const run = check[name];
          if (!run) throw new Error(`no contender ${name}`);
          return run(t);
        })
        .then(
          () => true,
          () => false,
        ),
  };
}
