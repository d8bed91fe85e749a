import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { rsaJwkThumbprint } from '../../lambdas/core/key-material.js';
import type { InternalReason } from '../../lambdas/core/reasons.js';
import type { KeyStore } from '../../lambdas/key-store/key-store.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { authorizerEvent, captureOutput, jsonLines, lambdaContext } from '../helpers/events.js';
import { mintToken, rsaKeyPair, signRaw } from '../helpers/keys.js';
import { useMotoServer } from '../helpers/moto.js';
import { storedKey } from '../helpers/stored-keys.js';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';

const moto = useMotoServer();

const T0 = 1_790_000_000_000;
let prefixCounter = 0;

/** A handler over a fresh prefix on moto, a controllable clock and a call-counting store. */
function setup(env: Record<string, string> = {}) {
  const prefix = `authz-${++prefixCounter}/keys/`;
  const store = new SecretsManagerKeyStore({ prefix });
  let calls = 0;
  const counting: Pick<KeyStore, 'getKeys'> = { getKeys: (name) => (calls++, store.getKeys(name)) };
  const clock = { now: T0 };
  const handler = createAuthorizerHandler({ keyStore: counting, config: readConfig({ KEYGATE_SECRET_PREFIX: prefix, ...env }), now: () => clock.now });
  const invoke = (authorization?: string | string[], clientCertPem?: string) => handler(authorizerEvent({ authorization, clientCertPem }), lambdaContext);
  return { store, clock, invoke, handler, prefix, calls: () => calls };
}

const nowSeconds = () => Math.floor(T0 / 1000);
const reasonOf = (result: Awaited<ReturnType<ReturnType<typeof setup>['invoke']>>) =>
  result.policyDocument.Statement[0] && 'Effect' in result.policyDocument.Statement[0] && result.policyDocument.Statement[0].Effect === 'Allow' ? 'allow' : result.context?.['reason'];

describe('authorizer handler against moto_server', () => {
  const pair = rsaKeyPair(2048);

  it('allows a valid token: whole-stage policy, principal = key name, context with kid, jti, exp and the client certificate', async () => {
    const { store, invoke } = setup();
    await store.addKey('acme', storedKey('default'));
    const ca = await createSelfSignedCa({ subject: 'CN=Test CA' });
    const client = await issueCertificate({ issuer: ca, profile: 'client', subject: 'O=keygate, CN=demo', serialNumber: '0a1b2c3d' });
    const token = await mintToken(pair, { nowSeconds: nowSeconds(), claims: { jti: 'jti-1' } });
    const result = await invoke(`Bearer ${token}`, client.certificatePem);
    expect(result.principalId).toBe('acme');
    expect(result.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*' }]);
    expect(result.context).toEqual({ keyName: 'acme', kid: pair.kid, jti: 'jti-1', exp: nowSeconds() + 300, clientCertSubject: 'CN=demo,O=keygate', clientCertSerial: '0a:1b:2c:3d' });
  });

  it('accepts the scheme in any case and the header name in any case', async () => {
    const { store, invoke, handler } = setup();
    await store.addKey('acme', storedKey('default'));
    const token = await mintToken(pair, { nowSeconds: nowSeconds() });
    expect(reasonOf(await invoke(`bearer ${token}`))).toBe('allow');
    const lowerCaseName = authorizerEvent({});
    lowerCaseName.headers = { authorization: `BEARER ${token}` };
    lowerCaseName.multiValueHeaders = { authorization: [`BEARER ${token}`] };
    expect(reasonOf(await handler(lowerCaseName, lambdaContext))).toBe('allow');
  });

  it('counts key-cache misses and hits as EMF metrics', async () => {
    const { store, invoke } = setup();
    await store.addKey('acme', storedKey('default'));
    const metricsOf = async () => {
      const { output } = await captureOutput(async () => invoke(`Bearer ${await mintToken(pair, { nowSeconds: nowSeconds() })}`));
      return jsonLines(output).filter((line) => '_aws' in line);
    };
    expect(await metricsOf()).toEqual([expect.objectContaining({ KeyCacheMiss: 1, Allowed: 1 })]);
    const second = await metricsOf();
    expect(second).toEqual([expect.objectContaining({ KeyCacheHit: 1, Allowed: 1 })]);
    expect(second[0]).not.toHaveProperty('KeyCacheMiss');
  });

  describe('each deny reason reaches the caller as its public reason', () => {
    const ctx = setup();
    beforeAll(async () => {
      await ctx.store.addKey('acme', storedKey('default'));
    });
    const n = nowSeconds();
    const skew = 'the allowed clock skew is 30 s';
    // The detail is sent for denials decided from the token alone; those involving a key, a name, a
    // certificate or a replay record answer '' so nothing tells whether a name exists.
    const cases: [string, () => Promise<string | string[] | undefined>, string, InternalReason, string][] = [
      ['no Authorization header', async () => undefined, 'malformed_token', 'malformed_authorization', 'no Authorization header'],
      ['two Authorization headers', async () => [`Bearer ${await mintToken(pair, { nowSeconds: n })}`, 'Bearer x'], 'malformed_token', 'malformed_authorization', 'more than one Authorization header'],
      ['Basic scheme', async () => 'Basic dXNlcjpwYXNz', 'malformed_token', 'malformed_authorization', 'expected Authorization: Bearer <token>, with exactly one token after the scheme'],
      ['two tokens', async () => 'Bearer a.b.c d.e.f', 'malformed_token', 'malformed_authorization', 'expected Authorization: Bearer <token>, with exactly one token after the scheme'],
      ['oversized header', async () => `Bearer ${'a'.repeat(9000)}`, 'malformed_token', 'token_too_large', 'token is longer than 8192 characters'],
      ['not a JWS', async () => 'Bearer not-a-token', 'malformed_token', 'malformed_token', 'a compact JWS has exactly three segments'],
      ['alg RS256', async () => `Bearer ${signRaw(pair, '{"alg":"RS256"}', JSON.stringify({ sub: 'ces:customer:acme', iat: n, exp: n + 60, jti: 'a' }))}`, 'unsupported_algorithm', 'unsupported_algorithm', 'alg must be RS512; got RS256'],
      ['bad subject', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, claims: { sub: 'acme' } })}`, 'invalid_subject', 'invalid_subject', 'sub must be ces:customer:<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit); got a string without the ces:customer: prefix'],
      ['no jti', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, omit: ['jti'] })}`, 'invalid_claims', 'missing_claim', 'jti is required'],
      ['iat as a string', async () => `Bearer ${signRaw(pair, '{"alg":"RS512"}', `{"sub":"ces:customer:acme","iat":"${n}","exp":${n + 60},"jti":"a"}`)}`, 'invalid_claims', 'invalid_claim', 'iat must be an integer number of seconds since the epoch; got a number in a string'],
      ['iat with a fraction', async () => `Bearer ${signRaw(pair, '{"alg":"RS512"}', `{"sub":"ces:customer:acme","iat":${n}.25,"exp":${n + 60},"jti":"a"}`)}`, 'invalid_claims', 'invalid_claim', 'iat must be an integer number of seconds since the epoch; got a number with a fraction'],
      ['iat and exp in milliseconds', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, claims: { iat: n * 1000, exp: n * 1000 + 1_800_000 } })}`, 'lifetime_too_long', 'lifetime_too_long', 'exp - iat is 1800000 s; at most 1800 s is allowed; exp and iat look like milliseconds'],
      ['expired', async () => `Bearer ${await mintToken(pair, { nowSeconds: n - 400 })}`, 'token_expired', 'token_expired', `exp is 100 s in the past; ${skew}`],
      ['issued in the future', async () => `Bearer ${await mintToken(pair, { nowSeconds: n + 120 })}`, 'token_not_yet_valid', 'token_not_yet_valid', `iat is 120 s in the future; ${skew}`],
      ['lifetime 1801 s', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, ttlSeconds: 1801 })}`, 'lifetime_too_long', 'lifetime_too_long', 'exp - iat is 1801 s; at most 1800 s is allowed'],
      ['unknown name', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, name: 'nobody' })}`, 'invalid_signature', 'unknown_key', ''],
      ['unknown kid', async () => `Bearer ${await mintToken(pair, { nowSeconds: n, kid: 'nope' })}`, 'invalid_signature', 'unknown_kid', ''],
      ['signed by another key', async () => `Bearer ${await mintToken(rsaKeyPair(2048, 'other'), { nowSeconds: n })}`, 'invalid_signature', 'invalid_signature', ''],
    ];
    it.each(cases)('%s → %s (internal %s): %j', async (_label, authorization, publicReason, internalReason, detail) => {
      const { result, output } = await captureOutput(async () => ctx.invoke(await authorization()));
      expect(result?.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*' });
      expect(result?.context).toEqual({ error: 'invalid_token', reason: publicReason, detail });
      const lines = jsonLines(output);
      expect(lines.filter((line) => line['decision'] === 'deny'), 'one structured deny line with both reasons').toEqual([
        expect.objectContaining({ level: 'INFO', reason: internalReason, publicReason }),
      ]);
      // EMF: one document, Denied counted with the internal reason as a dimension and as a total without it.
      const denied = lines.filter((line) => 'Denied' in line);
      expect(denied).toEqual([expect.objectContaining({ reason: internalReason, Denied: 1 })]);
      expect((denied[0]?.['_aws'] as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions).toEqual([['service'], ['service', 'reason']]);
      expect(output).not.toContain('No application metrics to publish');
    });
  });

  it('never logs the token or its signature, even at DEBUG and with POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
    process.env['POWERTOOLS_LOG_LEVEL'] = 'DEBUG';
    process.env['POWERTOOLS_LOGGER_LOG_EVENT'] = 'true';
    const { store, invoke } = setup();
    delete process.env['POWERTOOLS_LOG_LEVEL'];
    await store.addKey('acme', storedKey('default'));
    const token = await mintToken(pair, { nowSeconds: nowSeconds() });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${token.split('.')[2]?.split('').reverse().join('')}`;
    const { output } = await captureOutput(async () => {
      try {
        await invoke(`Bearer ${token}`);
        await invoke(`Bearer ${forged}`);
      } finally {
        delete process.env['POWERTOOLS_LOGGER_LOG_EVENT'];
      }
    });
    expect(output).not.toContain('Lambda invocation event');
    expect(output).toContain('"decision":"allow"');
    expect(output).toContain('"decision":"deny"');
    for (const secretPart of [token.split('.')[2] as string, forged.split('.')[2] as string, token.split('.')[1] as string]) {
      expect(output).not.toContain(secretPart.slice(0, 24));
    }
  });

  it('rotation: with two keys both verify, with or without kid; after removal the old key stops once the cache expires', async () => {
    const { store, invoke, clock } = setup();
    const next = rsaKeyPair(2048, 'next');
    await store.addKey('acme', storedKey('default'));
    await store.addKey('acme', storedKey('next'));
    const at = () => Math.floor(clock.now / 1000);
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`))).toBe('allow');
    expect(reasonOf(await invoke(`Bearer ${await mintToken(next, { nowSeconds: at() })}`))).toBe('allow');
    expect(reasonOf(await invoke(`Bearer ${await mintToken(next, { nowSeconds: at(), kid: next.kid })}`))).toBe('allow');
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: at(), kid: pair.kid })}`))).toBe('allow');

    await store.removeKey('acme', pair.kid);
    clock.now += 59_000; // still inside KEYGATE_KEY_CACHE_SECONDS (60)
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`))).toBe('allow');
    clock.now += 2_000;
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`))).toBe('invalid_signature');
    expect(reasonOf(await invoke(`Bearer ${await mintToken(next, { nowSeconds: at() })}`))).toBe('allow');
  });

  it('coalesces concurrent look-ups of one name into one key-store read, then serves from the cache', async () => {
    const { store, invoke, calls } = setup();
    await store.addKey('acme', storedKey('default'));
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mintToken(pair, { nowSeconds: nowSeconds() })));
    const results = await Promise.all(tokens.map((t) => invoke(`Bearer ${t}`)));
    expect(results.every((r) => reasonOf(r) === 'allow')).toBe(true);
    expect(calls()).toBe(1);
  });

  it('remembers an unknown name for KEYGATE_UNKNOWN_KEY_CACHE_SECONDS, then sees a newly registered key', async () => {
    const { store, invoke, clock, calls } = setup();
    const token = () => mintToken(pair, { nowSeconds: Math.floor(clock.now / 1000), name: 'late' });
    expect(reasonOf(await invoke(`Bearer ${await token()}`))).toBe('invalid_signature');
    await store.addKey('late', storedKey('default'));
    expect(reasonOf(await invoke(`Bearer ${await token()}`))).toBe('invalid_signature');
    expect(calls()).toBe(1);
    clock.now += 10_001;
    expect(reasonOf(await invoke(`Bearer ${await token()}`))).toBe('allow');
  });

  it('a flood of tokens naming random unknown keys stays within the documented bound (40 + 20/s per container), denied like any unknown name', async () => {
    const { store, invoke, clock, calls } = setup();
    await store.addKey('acme', storedKey('default'));
    const iat = nowSeconds();
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: iat })}`))).toBe('allow'); // acme is cached now
    // 2,500 names in one unknown-key window, ten times the bound: enough to show it holds; each token is an RSA signature to make.
    const flood = 2_500;
    const windowSeconds = 10;
    const verdicts = new Map<string, number>();
    const { output } = await captureOutput(async () => {
      for (let i = 0; i < flood; i++) {
        clock.now = T0 + Math.floor((i * windowSeconds * 1000) / flood);
        const token = signRaw(pair, '{"alg":"RS512"}', JSON.stringify({ sub: `ces:customer:random-${i}`, iat, exp: iat + 60, jti: `j${i}` }));
        const verdict = String(reasonOf(await invoke(`Bearer ${token}`)));
        verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
      }
    });
    const bound = 40 + 20 * windowSeconds;
    expect(calls() - 1).toBeLessThanOrEqual(bound);
    expect(calls() - 1).toBeGreaterThan(40);
    // Every forged name is denied with the same public reason, read or not: nothing tells the caller which names exist.
    expect(verdicts).toEqual(new Map([['invalid_signature', flood]]));
    expect(output).toContain('UnknownNameBudgetExceeded');
    // The cached name keeps working during the flood.
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: iat })}`))).toBe('allow');
  }, 120_000);

  it('a stored key that fails the key-material checks is never used, and is logged as an integrity error', async () => {
    const { prefix, invoke } = setup();
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const jwk = weak.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    const kid = rsaJwkThumbprint(jwk);
    const client = new SecretsManagerClient({});
    const store = new SecretsManagerKeyStore({ prefix });
    await store.addKey('weak', storedKey('default'));
    await client.send(new PutSecretValueCommand({ SecretId: `${prefix}weak`, SecretString: JSON.stringify({ name: 'weak', keys: [{ kid, jwk: { kty: 'RSA', ...jwk }, bits: 2048, addedAt: 'x', addedBy: 'y' }] }) }));
    const weakPair = { ...rsaKeyPair(2048), privateKey: weak.privateKey, kid };
    const token = await mintToken(weakPair, { nowSeconds: nowSeconds(), name: 'weak' });
    const { result, output } = await captureOutput(() => invoke(`Bearer ${token}`));
    expect(result && reasonOf(result)).toBe('invalid_signature');
    expect(output).toContain('key store integrity error');
    expect(output).toContain('KeyStoreIntegrityError');
  });

  it('Secrets Manager outage: known names within the stale window still work; unknown names and expired entries fail closed', async () => {
    const { store, invoke, clock } = setup({ KEYGATE_KEY_CACHE_SECONDS: '60', KEYGATE_STALE_IF_ERROR_SECONDS: '300' });
    await store.addKey('acme', storedKey('default'));
    const at = () => Math.floor(clock.now / 1000);
    expect(reasonOf(await invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`))).toBe('allow');
    await moto().stop();
    try {
      clock.now += 120_000; // cache expired, inside the stale window
      const { result, output } = await captureOutput(async () => invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`));
      expect(result && reasonOf(result)).toBe('allow');
      expect(output).toContain('KeyCacheStale');
      const unknown = await captureOutput(async () => invoke(`Bearer ${await mintToken(pair, { nowSeconds: at(), name: 'other' })}`));
      expect(unknown.error).toMatchObject({ name: 'AuthorizerUnavailableError' });
      expect(unknown.output).toContain('KeyStoreFault');
      clock.now += 300_000; // past the stale window
      await expect(invoke(`Bearer ${await mintToken(pair, { nowSeconds: at() })}`)).rejects.toMatchObject({ name: 'AuthorizerUnavailableError' });
    } finally {
      await moto().restart();
    }
  }, 60_000);

  it('a revoked name is unknown as soon as it is re-read, never served from the stale window', async () => {
    const { store, invoke, clock } = setup({ KEYGATE_KEY_CACHE_SECONDS: '0' });
    await store.addKey('gone', storedKey('default'));
    const token = () => mintToken(pair, { nowSeconds: Math.floor(clock.now / 1000), name: 'gone' });
    expect(reasonOf(await invoke(`Bearer ${await token()}`))).toBe('allow');
    await store.revoke('gone', 7);
    clock.now += 1000;
    expect(reasonOf(await invoke(`Bearer ${await token()}`))).toBe('invalid_signature');
  });
});
