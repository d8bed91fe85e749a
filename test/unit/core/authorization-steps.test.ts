import { describe, expect, it } from 'vitest';
import {
  authorizeToken,
  authorizeTokenSync,
  type AuthorizationRules,
  type FirstUse,
  type KeyLookup,
  type SyncAuthorizationDependencies,
} from '../../../lambdas/core/authorization.js';
import type { BindingPolicy } from '../../../lambdas/core/certificate-binding.js';
import type { ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { verifyToken } from '../../../lambdas/core/verify-token.js';
import { rsaKeyPair, signRaw, verificationKey } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const pair = rsaKeyPair();
const key = verificationKey(pair);
const rules: AuthorizationRules = { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: 'none' };
const certificate: ClientCertificateFacts = {
  subject: 'CN=acme,O=keygate',
  issuer: 'CN=keygate test CA',
  issuerCanonical: 'CN=keygate test CA',
  serialNumber: '0a:1b',
  thumbprintSha256: 'thumb-of-acme',
  commonName: 'acme',
  spkiPinSha256: 'pin-of-acme',
};
const PAYLOAD = { sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j-1' };
const token = (payload: object = PAYLOAD) => signRaw(pair, '{"alg":"RS512"}', JSON.stringify(payload));
const request = { nowSeconds: NOW, certificate };
const VERIFIED = { ok: true, keyName: 'acme', kid: pair.kid, jti: 'j-1', iat: NOW, exp: NOW + 60, payload: PAYLOAD };

type Answers = { revoked?: boolean; lookup?: KeyLookup; use?: FirstUse };

/** The same answers given at once and asynchronously, each question written down with its arguments. */
function dependencies(answers: Answers = {}, which: readonly ('isRevoked' | 'lookUpKeys' | 'recordFirstUse')[] = ['isRevoked', 'lookUpKeys', 'recordFirstUse']) {
  const asked: unknown[][] = [];
  const lookup: KeyLookup = answers.lookup ?? { keys: [key], binding: undefined, source: 'cache' };
  const sync: SyncAuthorizationDependencies = {
    isRevoked: which.includes('isRevoked') ? (cert, keyName) => (asked.push(['isRevoked', cert, keyName]), answers.revoked ?? false) : undefined,
    lookUpKeys: which.includes('lookUpKeys') ? (keyName) => (asked.push(['lookUpKeys', keyName]), lookup) : undefined,
    recordFirstUse: which.includes('recordFirstUse') ? (keyName, jti, until) => (asked.push(['recordFirstUse', keyName, jti, until]), answers.use ?? 'first') : undefined,
  };
  const promised = {
    isRevoked: sync.isRevoked && (async (cert: ClientCertificateFacts, keyName: string) => sync.isRevoked!(cert, keyName)),
    lookUpKeys: sync.lookUpKeys && (async (keyName: string) => sync.lookUpKeys!(keyName)),
    recordFirstUse: sync.recordFirstUse && (async (keyName: string, jti: string, until: number) => sync.recordFirstUse!(keyName, jti, until)),
  };
  return { asked, sync, promised, lookup };
}

/** Runs both drivers with the same answers; they must agree on the outcome and on the questions asked. */
async function both(bearer: string, answers: Answers = {}, options: { rules?: AuthorizationRules; certificate?: ClientCertificateFacts | undefined; which?: Parameters<typeof dependencies>[1] } = {}) {
  const facts = { nowSeconds: NOW, certificate: 'certificate' in options ? options.certificate : certificate };
  const viaSync = dependencies(answers, options.which);
  const syncOutcome = authorizeTokenSync(bearer, facts, options.rules ?? rules, viaSync.sync);
  const viaAsync = dependencies(answers, options.which);
  const asyncOutcome = await authorizeToken(bearer, facts, options.rules ?? rules, viaAsync.promised);
  expect(asyncOutcome).toEqual(syncOutcome);
  expect(viaAsync.asked).toEqual(viaSync.asked);
  return { outcome: syncOutcome, asked: viaSync.asked, lookup: viaSync.lookup };
}

const denial = (reason: string, publicReason: string, detail: string, keyName: string | undefined) => ({ decision: 'deny', keyName, denial: { ok: false, reason, publicReason, detail } });
const acmeDenial = (reason: string, publicReason: string, detail: string) => denial(reason, publicReason, detail, 'acme');

describe('each step of the pipeline, through both drivers', () => {
  it('allow: the verified token and the look-up as it was answered; revocation, keys and first use asked with their arguments', async () => {
    const { outcome, asked, lookup } = await both(token());
    expect(outcome).toEqual({ decision: 'allow', token: VERIFIED, lookup });
    expect((outcome as { lookup: KeyLookup }).lookup).toBe(lookup);
    expect(asked).toEqual([
      ['isRevoked', certificate, 'acme'],
      ['lookUpKeys', 'acme'],
      ['recordFirstUse', 'acme', 'j-1', NOW + 60 + 30],
    ]);
  });

  it('the jti is kept until exp plus the configured skew', async () => {
    const { asked } = await both(token(), {}, { rules: { ...rules, tokenRules: { clockSkewSeconds: 0, maxLifetimeSeconds: 1800 } } });
    expect(asked.at(-1)).toEqual(['recordFirstUse', 'acme', 'j-1', NOW + 60]);
  });

  it('a token refused before the signature: no key name yet, nothing asked', async () => {
    const { outcome, asked } = await both('not.a.token!');
    expect(outcome).toEqual(denial('malformed_token', 'malformed_token', 'a segment is not canonical unpadded base64url', undefined));
    expect(asked).toEqual([]);
  });

  it('a token refused by its claims: no key name yet (the sub was not trusted)', async () => {
    const { outcome } = await both(token({ ...PAYLOAD, exp: NOW }));
    expect(outcome).toMatchObject({ decision: 'deny', keyName: undefined, denial: { reason: 'invalid_claim' } });
  });

  it('revoked: denied with the name, nothing asked after', async () => {
    const { outcome, asked } = await both(token(), { revoked: true });
    expect(outcome).toEqual(acmeDenial('certificate_revoked', 'certificate_revoked', 'the client certificate is on the revocation list'));
    expect(asked).toEqual([['isRevoked', certificate, 'acme']]);
  });

  it('revocation checked and no readable certificate: fails closed without asking', async () => {
    const { outcome, asked } = await both(token(), {}, { certificate: undefined });
    expect(outcome).toEqual(acmeDenial('certificate_revoked', 'certificate_revoked', 'revocation is checked and the request has no readable client certificate'));
    expect(asked).toEqual([]);
  });

  it('no revocation list: no certificate needed, revocation never asked', async () => {
    const { outcome, asked } = await both(token(), {}, { certificate: undefined, which: ['lookUpKeys', 'recordFirstUse'] });
    expect(outcome).toMatchObject({ decision: 'allow' });
    expect(asked.map((a) => a[0])).toEqual(['lookUpKeys', 'recordFirstUse']);
  });

  it('no replay table: first use never asked', async () => {
    const { outcome, asked } = await both(token(), {}, { which: ['isRevoked', 'lookUpKeys'] });
    expect(outcome).toMatchObject({ decision: 'allow', token: VERIFIED });
    expect(asked.map((a) => a[0])).toEqual(['isRevoked', 'lookUpKeys']);
  });

  it('replayed: denied with the name', async () => {
    const { outcome } = await both(token(), { use: 'replayed' });
    expect(outcome).toEqual(acmeDenial('replayed_token', 'replayed_token', 'this jti was already used'));
  });

  it('over budget: denied as unknown_key without a signature check, sent as invalid_signature', async () => {
    const { outcome, asked } = await both(token(), { lookup: { keys: [key], binding: undefined, source: 'over-budget' } });
    expect(outcome).toEqual(acmeDenial('unknown_key', 'invalid_signature', 'not looked up: the unknown-name read budget of this container is spent'));
    expect(asked.map((a) => a[0])).toEqual(['isRevoked', 'lookUpKeys']);
  });

  it('a look-up from any other source is checked as usual', async () => {
    for (const source of ['store', 'stale', 'index', undefined]) {
      const { outcome } = await both(token(), { lookup: { keys: [key], binding: undefined, ...(source ? { source } : {}) } });
      expect(outcome).toMatchObject({ decision: 'allow' });
    }
  });

  it('a signature denial carries the name and asks nothing more', async () => {
    const { outcome, asked } = await both(token(), { lookup: { keys: undefined, binding: undefined } });
    expect(outcome).toEqual(acmeDenial('unknown_key', 'invalid_signature', 'no active key is registered under this name'));
    expect(asked.map((a) => a[0])).toEqual(['isRevoked', 'lookUpKeys']);
  });
});

describe('certificate binding and the authorizer result cache', () => {
  const bound = (binding: BindingPolicy | undefined): Answers => ({ lookup: { keys: [key], binding } });
  const cached = (seconds: number | undefined, defaultBinding: BindingPolicy = 'none'): AuthorizationRules => ({ ...rules, defaultBinding, ...(seconds === undefined ? {} : { authorizerCacheSeconds: seconds }) });

  it('a bound name with the result cache on fails closed, naming the binding and the setting', async () => {
    const { outcome, asked } = await both(token(), bound('subject'), { rules: cached(1) });
    expect(outcome).toEqual(acmeDenial('client_certificate_mismatch', 'client_certificate_mismatch', "the name's subject binding cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=1)"));
    expect(asked.map((a) => a[0])).toEqual(['isRevoked', 'lookUpKeys']);
    expect((await both(token(), bound(undefined), { rules: cached(300, 'thumbprint') })).outcome).toMatchObject({
      denial: { detail: "the name's thumbprint binding cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=300)" },
    });
  });

  it('with the result cache off (0 or unset) a bound name is checked against the certificate', async () => {
    expect((await both(token(), bound('subject'), { rules: cached(0) })).outcome).toMatchObject({ decision: 'allow' });
    expect((await both(token(), bound('subject'), { rules: cached(undefined) })).outcome).toMatchObject({ decision: 'allow' });
  });

  it('an unbound name is allowed with the result cache on', async () => {
    expect((await both(token(), bound('none'), { rules: cached(300, 'subject') })).outcome).toMatchObject({ decision: 'allow' });
  });

  it('a binding mismatch after the signature: denied with the name, the jti not recorded', async () => {
    const { outcome, asked } = await both(token(), bound('thumbprint'));
    expect(outcome).toEqual(acmeDenial('client_certificate_mismatch', 'client_certificate_mismatch', 'binding "thumbprint" needs a cnf claim with x5t#S256'));
    expect(asked.map((a) => a[0])).toEqual(['isRevoked', 'lookUpKeys']);
    const withCnf = token({ ...PAYLOAD, cnf: { 'x5t#S256': 'thumb-of-acme' } });
    expect((await both(withCnf, bound('thumbprint'))).outcome).toMatchObject({ decision: 'allow' });
  });
});

describe('without a key look-up (keygate explain): every check but the signature', () => {
  it('unverified: the token as checked, revocation still asked', async () => {
    const { outcome, asked } = await both(token(), {}, { which: ['isRevoked'] });
    expect(outcome).toMatchObject({ decision: 'unverified', token: { ok: true, keyName: 'acme', kid: undefined, jti: 'j-1', iat: NOW, exp: NOW + 60, payload: PAYLOAD } });
    expect(asked).toEqual([['isRevoked', certificate, 'acme']]);
  });

  it('the default binding still applies, with the name', async () => {
    const { outcome } = await both(token(), {}, { which: [], certificate: { ...certificate, commonName: 'other' }, rules: { ...rules, defaultBinding: 'subject' } });
    expect(outcome).toEqual(acmeDenial('client_certificate_mismatch', 'client_certificate_mismatch', 'the client certificate CN is not the key name'));
  });

  it('never records a first use (the token was not verified)', async () => {
    const { outcome, asked } = await both(token(), {}, { which: ['recordFirstUse'] });
    expect(outcome).toMatchObject({ decision: 'unverified' });
    expect(asked).toEqual([]);
  });
});

describe('the asynchronous driver', () => {
  it('takes answers given at once as they are, mixed with promises', async () => {
    const { sync } = dependencies();
    const mixed = { isRevoked: sync.isRevoked, lookUpKeys: async (name: string) => sync.lookUpKeys!(name), recordFirstUse: sync.recordFirstUse };
    expect(await authorizeToken(token(), request, rules, mixed)).toMatchObject({ decision: 'allow', token: VERIFIED });
    expect(await authorizeToken(token(), request, rules, { ...mixed, isRevoked: () => true })).toMatchObject({ denial: { reason: 'certificate_revoked' } });
    expect(await authorizeToken(token(), request, rules, { ...mixed, recordFirstUse: () => 'replayed' })).toMatchObject({ denial: { reason: 'replayed_token' } });
  });
});

describe('verifyToken: the token alone', () => {
  it('returns the verified token, or the denial itself', () => {
    const keysFor = (name: string) => (name === 'acme' ? [key] : undefined);
    expect(verifyToken(token(), { nowSeconds: NOW, rules: DEFAULT_TOKEN_RULES, keysFor })).toEqual(VERIFIED);
    expect(verifyToken(token({ ...PAYLOAD, sub: 'ces:customer:nobody' }), { nowSeconds: NOW, rules: DEFAULT_TOKEN_RULES, keysFor })).toEqual({
      ok: false,
      reason: 'unknown_key',
      publicReason: 'invalid_signature',
      detail: 'no active key is registered under this name',
    });
  });

  it('ignores the certificate binding entirely (no certificate, binding none)', () => {
    const withCnf = token({ ...PAYLOAD, cnf: { 'x5t#S256': 'anything' } });
    expect(verifyToken(withCnf, { nowSeconds: NOW, rules: DEFAULT_TOKEN_RULES, keysFor: () => [key] })).toMatchObject({ ok: true });
  });
});
