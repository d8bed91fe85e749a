import { verify } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import { verifyToken, type VerificationKey } from '../../lambdas/core/verify-token.js';
import { importStoredJwk } from '../../lambdas/core/key-material.js';
import { benchKey, contractExtras, mintBenchToken, tamper } from '../lib/fixtures.js';
import { measureInterleaved, type Contender, type MeasureOptions } from '../lib/measure.js';
import type { CaseResult } from '../lib/report.js';

const nowSeconds = () => Date.now() / 1000;

/**
 * verify-<bits>: a full token check (parse, header, claims, signature) with a warm key, against
 * crypto.verify over the same signing input and the libraries a user would otherwise pick.
 */
export async function verifyCase(bits: number, options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(bits);
  const { token, signingInput, signature } = mintBenchToken(key, Math.floor(nowSeconds()));
  const verificationKey: VerificationKey = importStoredJwk(key.jwk, key.kid, { minBits: 2048, maxBits: 8192 });
  const keys = [verificationKey];
  const keygateOptions = { get nowSeconds() { return nowSeconds(); }, rules: DEFAULT_TOKEN_RULES, keysFor: (name: string) => (name === 'acme' ? keys : undefined) };

  const joseKey = await importJWK({ ...key.jwk, alg: 'RS512' }, 'RS512');
  const fastJwtVerify = createVerifier({
    key: key.publicKeyPem,
    algorithms: ['RS512'],
    clockTolerance: 30_000,
    requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    cache: false,
  });
  const awsVerifier = JwtVerifier.create({ issuer: null, audience: null, jwksUri: 'https://keys.example/.well-known/jwks.json', graceSeconds: 30 });
  awsVerifier.cacheJwks({ keys: [{ ...key.jwk, kid: key.kid, alg: 'RS512', use: 'sig' }] });

  const contenders: Contender[] = [
    { name: 'floor', fn: () => verify('sha512', signingInput, key.publicKey, signature) },
    { name: 'keygate', fn: () => verifyToken(token, keygateOptions).ok },
    {
      name: 'jose',
      fn: async () => {
        const { payload } = await jwtVerify(token, joseKey, { algorithms: ['RS512'], clockTolerance: 30, requiredClaims: ['sub', 'iat', 'exp', 'jti'] });
        contractExtras(payload);
      },
    },
    { name: 'fast-jwt', fn: () => contractExtras(fastJwtVerify(token) as Record<string, unknown>) },
    { name: 'aws-jwt-verify', fn: () => contractExtras(awsVerifier.verifySync(token) as Record<string, unknown>) },
    {
      name: 'jsonwebtoken',
      fn: () => contractExtras(jsonwebtoken.verify(token, key.publicKey, { algorithms: ['RS512'], clockTolerance: 30 }) as Record<string, unknown>),
    },
  ];
  await sanityCheck(contenders, token, (t) => {
    const bad = verifyToken(t, keygateOptions);
    if (bad.ok) throw new Error('keygate accepted a tampered token');
    return Promise.resolve();
  });
  if (!verify('sha512', signingInput, key.publicKey, signature)) throw new Error('floor refused the token');
  // Every peer must refuse the tampered token too: then it really checked the signature.
  const tampered = tamper(token);
  for (const peer of contenders.slice(2)) {
    const accepted = await Promise.resolve()
      .then(() => (peer.name === 'jose' ? jwtVerify(tampered, joseKey, { algorithms: ['RS512'] }) : peer.name === 'fast-jwt' ? fastJwtVerify(tampered) : peer.name === 'aws-jwt-verify' ? awsVerifier.verifySync(tampered) : jsonwebtoken.verify(tampered, key.publicKey, { algorithms: ['RS512'] })))
      .then(
        () => true,
        () => false,
      );
    if (accepted) throw new Error(`${peer.name} accepted a tampered token`);
  }

  const medians = await measureInterleaved(contenders, options);
  const peers: Record<string, number> = {};
  for (const c of contenders.slice(2)) peers[c.name] = medians.get(c.name) ?? Number.NaN;
  return { case: `verify-${bits}`, unit: 'us', floor: medians.get('floor') ?? Number.NaN, keygate: medians.get('keygate') ?? Number.NaN, peers };
}

async function sanityCheck(contenders: readonly Contender[], token: string, keygateRefusesTampered: (token: string) => Promise<void>): Promise<void> {
  for (const c of contenders) {
    const outcome = await c.fn();
    if (outcome === false) throw new Error(`${c.name} refused a valid token`);
  }
  await keygateRefusesTampered(tamper(token));
}
