import { describe, expect, it } from 'vitest';
import { authorizeToken, authorizeTokenSync, type AuthorizationDependencies, type KeyLookup } from '../../../lambdas/core/authorization.js';
import type { ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { mintToken, rsaKeyPair, verificationKey } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const pair = rsaKeyPair();
const other = rsaKeyPair(2048, 'other');
const rules = { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: 'none' } as const;
const certificate: ClientCertificateFacts = {
  subject: 'CN=acme,O=keygate',
  issuer: 'CN=keygate test CA',
  issuerCanonical: 'cn=keygate test ca',
  serialNumber: '01',
  thumbprintSha256: 'thumb',
  spkiPinSha256: 'pin',
  commonName: 'acme',
};

/** Dependencies that answer asynchronously and write down each question, in order. */
function recording(answers: { revoked?: boolean; lookup?: KeyLookup; use?: 'first' | 'replayed' } = {}) {
  const steps: string[] = [];
  const dependencies: AuthorizationDependencies = {
    isRevoked: async (cert, keyName) => {
      steps.push(`isRevoked ${cert.serialNumber} ${keyName}`);
      return answers.revoked ?? false;
    },
    lookUpKeys: async (keyName) => {
      steps.push(`lookUpKeys ${keyName}`);
      return answers.lookup ?? { keys: [verificationKey(pair)], binding: undefined };
    },
    recordFirstUse: async (keyName, _jti, expiresAtSeconds) => {
      steps.push(`recordFirstUse ${keyName} ${expiresAtSeconds}`);
      return answers.use ?? 'first';
    },
  };
  return { steps, dependencies };
}

describe('the authorization pipeline', () => {
  it('asks revocation, then the keys, then records the jti last (exp + clock skew), and allows', async () => {
    const { steps, dependencies } = recording();
    const outcome = await authorizeToken(await mintToken(pair, { nowSeconds: NOW }), { nowSeconds: NOW, certificate }, rules, dependencies);
    expect(outcome).toMatchObject({ decision: 'allow', token: { keyName: 'acme', kid: pair.kid } });
    expect(steps).toEqual(['isRevoked 01 acme', 'lookUpKeys acme', `recordFirstUse acme ${NOW + 300 + DEFAULT_TOKEN_RULES.clockSkewSeconds}`]);
  });

  it('asks nothing for a token that fails before the signature', async () => {
    const { steps, dependencies } = recording();
    const outcome = await authorizeToken(await mintToken(pair, { nowSeconds: NOW - 3600 }), { nowSeconds: NOW, certificate }, rules, dependencies);
    expect(outcome).toMatchObject({ decision: 'deny', denial: { reason: 'token_expired' } });
    expect(steps).toEqual([]);
  });

  it('a revoked certificate is denied before any key look-up; no certificate at all is denied as revoked', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    const revoked = recording({ revoked: true });
    expect(await authorizeToken(token, { nowSeconds: NOW, certificate }, rules, revoked.dependencies)).toMatchObject({ decision: 'deny', keyName: 'acme', denial: { reason: 'certificate_revoked' } });
    expect(revoked.steps).toEqual(['isRevoked 01 acme']);
    const without = recording();
    expect(await authorizeToken(token, { nowSeconds: NOW, certificate: undefined }, rules, without.dependencies)).toMatchObject({ decision: 'deny', denial: { reason: 'certificate_revoked' } });
    expect(without.steps).toEqual([]);
  });

  it('a refused signature or binding never burns the jti', async () => {
    const forged = recording();
    expect(await authorizeToken(await mintToken(other, { nowSeconds: NOW }), { nowSeconds: NOW, certificate }, rules, forged.dependencies)).toMatchObject({ decision: 'deny', denial: { reason: 'invalid_signature' } });
    expect(forged.steps).toEqual(['isRevoked 01 acme', 'lookUpKeys acme']);
    const bound = recording({ lookup: { keys: [verificationKey(pair)], binding: 'thumbprint' } });
    expect(await authorizeToken(await mintToken(pair, { nowSeconds: NOW }), { nowSeconds: NOW, certificate }, rules, bound.dependencies)).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch' } });
    expect(bound.steps).toEqual(['isRevoked 01 acme', 'lookUpKeys acme']);
  });

  it('the default binding applies when the look-up recorded none; a recorded one wins', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW, name: 'someone-else' });
    const keys = [verificationKey(pair)];
    const subjectByDefault = { ...rules, defaultBinding: 'subject' } as const;
    expect(authorizeTokenSync(token, { nowSeconds: NOW, certificate }, subjectByDefault, { lookUpKeys: () => ({ keys, binding: undefined }) })).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch' } });
    expect(authorizeTokenSync(token, { nowSeconds: NOW, certificate }, subjectByDefault, { lookUpKeys: () => ({ keys, binding: 'none' }) })).toMatchObject({ decision: 'allow' });
  });

  it('denies a replayed jti and a name not looked up for the budget', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    expect(await authorizeToken(token, { nowSeconds: NOW, certificate }, rules, recording({ use: 'replayed' }).dependencies)).toMatchObject({ decision: 'deny', denial: { reason: 'replayed_token' } });
    const overBudget = recording({ lookup: { keys: undefined, binding: undefined, source: 'over-budget' } });
    expect(await authorizeToken(token, { nowSeconds: NOW, certificate }, rules, overBudget.dependencies)).toMatchObject({ decision: 'deny', denial: { reason: 'unknown_key', detail: expect.stringContaining('budget') } });
  });

  it('a failing dependency throws to the caller (which fails closed), and nothing after it is asked', async () => {
    const { steps, dependencies } = recording();
    const failing: AuthorizationDependencies = { ...dependencies, lookUpKeys: () => Promise.reject(new Error('store down')) };
    await expect(authorizeToken(await mintToken(pair, { nowSeconds: NOW }), { nowSeconds: NOW, certificate }, rules, failing)).rejects.toThrow('store down');
    expect(steps).toEqual(['isRevoked 01 acme']);
  });

  it('without a key look-up the signature is not checked: unverified, or denied by the binding', async () => {
    const token = await mintToken(other, { nowSeconds: NOW });
    expect(authorizeTokenSync(token, { nowSeconds: NOW, certificate }, rules, {})).toMatchObject({ decision: 'unverified', token: { keyName: 'acme' } });
    expect(authorizeTokenSync(token, { nowSeconds: NOW, certificate: undefined }, { ...rules, defaultBinding: 'subject' }, {})).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch' } });
  });
});
