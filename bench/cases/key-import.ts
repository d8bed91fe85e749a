import { createPublicKey } from 'node:crypto';
import { importJWK } from 'jose';
import { importStoredJwk } from '../../lambdas/core/key-material.js';
import { benchKey } from '../lib/fixtures.js';
import { measureInterleaved, type MeasureOptions } from '../lib/measure.js';
import type { CaseResult } from '../lib/report.js';

/**
 * key-import-4096: what a key-cache miss costs once the secret is read. keygate's importStoredJwk
 * (canonical base64url n/e, createPublicKey, size and exponent checks, kid = RFC 7638 thumbprint)
 * against createPublicKey of the same JWK (floor), createPublicKey of the PEM, and jose's importJWK.
 */
export async function keyImportCase(options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(4096);
  const limits = { minBits: 2048, maxBits: 4096 };
  const jwk = { kty: 'RSA', n: key.jwk.n, e: key.jwk.e };
  const medians = await measureInterleaved(
    [
      { name: 'floor', fn: () => createPublicKey({ key: jwk, format: 'jwk' }) },
      { name: 'keygate', fn: () => importStoredJwk(jwk, key.kid, limits) },
      { name: 'node-pem', fn: () => createPublicKey(key.publicKeyPem) },
      { name: 'jose-importJWK', fn: () => importJWK({ ...jwk, alg: 'RS512' }, 'RS512') },
    ],
    options,
  );
  return {
    case: 'key-import-4096',
    unit: 'us',
    floor: medians.get('floor') ?? Number.NaN,
    keygate: medians.get('keygate') ?? Number.NaN,
    peers: { 'node-pem': medians.get('node-pem') ?? Number.NaN, 'jose-importJWK': medians.get('jose-importJWK') ?? Number.NaN },
  };
}
