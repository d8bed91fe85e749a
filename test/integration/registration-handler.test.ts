import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { authorizerEvent, captureOutput, jsonLines, lambdaContext, registrationEvent, type ProxyEventOptions } from '../helpers/events.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { expectNoFragments, secretFragments } from '../helpers/leaks.js';
import { useMotoServer } from '../helpers/moto.js';
import { pkcs1PemWithExponent, rsaPublicKeyPemOfBits } from '../helpers/odd-keys.js';

useMotoServer();

let counter = 0;
function setup() {
  const prefix = `reg-${++counter}/keys/`;
  const config = readConfig({ KEYGATE_SECRET_PREFIX: prefix });
  const handler = createRegistrationHandler({ config, keyStore: new SecretsManagerKeyStore({ prefix }) });
  const sent: string[] = [];
  const call = async (options: ProxyEventOptions) => {
    const event = registrationEvent(options);
    sent.push(event.body ?? '');
    const response = await handler(event, lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> & { error?: string; keys?: { kid: string }[] }, headers: response.headers ?? {} };
  };
  const put = (name: string, publicKey: unknown, extra: Partial<ProxyEventOptions> = {}) =>
    call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name }, body: { publicKey }, ...extra });
  return { call, put, prefix, config, lastBodySent: () => sent.at(-1) ?? '' };
}

const a = rsaKeyPair(2048);
const b = rsaKeyPair(2048, 'b');
const c = rsaKeyPair(2048, 'c');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const SUPPORT_ARN = 'arn:aws:sts::123456789012:assumed-role/keygate-support/alice';

/** The structured audit lines among everything the handler wrote. */
function auditLines(output: string): Record<string, unknown>[] {
  return jsonLines(output).filter((line) => line['audit'] === true);
}

describe('registration API, route by route (moto_server)', () => {
  it('PUT /keys/{name}: 201 for a new name, 200 when added or already present, 409 too_many_keys for a third', async () => {
    const { put } = setup();
    const created = await put('acme', a.publicKeyPem);
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe('/keys/acme');
    expect(created.body).toMatchObject({ name: 'acme', subject: 'ces:customer:acme', outcome: 'created', kid: a.kid, keys: [{ kid: a.kid, bits: 2048 }] });
    expect((await put('acme', a.publicKeyPem)).body).toMatchObject({ outcome: 'already_present' });
    const added = await put('acme', b.publicKeyPem);
    expect(added.status).toBe(200);
    expect(added.body.keys?.map((k) => k.kid)).toEqual([a.kid, b.kid]);
    const third = await put('acme', c.publicKeyPem);
    expect(third).toMatchObject({ status: 409, body: { error: 'too_many_keys' } });
    expect(String(third.body['message'])).toContain('remove one');
  });

  it('GET /keys/{name}: keys with kid, bits, addedAt, addedBy and the public PEM; 404 unknown_key_name', async () => {
    const { put, call } = setup();
    await put('acme', a.publicKeyPem);
    const shown = await call({ method: 'GET', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
    expect(shown.status).toBe(200);
    expect(shown.body.keys).toEqual([{ kid: a.kid, bits: 2048, addedAt: expect.any(String), addedBy: 'arn:aws:sts::123456789012:assumed-role/keygate-support/alice', publicKeyPem: a.publicKeyPem }]);
    expect(await call({ method: 'GET', resource: '/keys/{name}', pathParameters: { name: 'nobody' } })).toMatchObject({ status: 404, body: { error: 'unknown_key_name' } });
  });

  it('GET /keys: every name once, page by page, with their kids and keys (kid, bits, addedAt)', async () => {
    const { put, call } = setup();
    const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
    for (const name of names) await put(name, a.publicKeyPem);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call({ method: 'GET', resource: '/keys', query: { limit: '2', ...(nextToken ? { nextToken } : {}) } });
      expect(page.status).toBe(200);
      const items = page.body['items'] as { name: string; kids: string[]; keys: unknown[] }[];
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) {
        seen.push(item.name);
        expect(item.kids).toEqual([a.kid]);
        expect(item.keys).toEqual([{ kid: a.kid, bits: 2048, addedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
      }
      nextToken = page.body['nextToken'] as string | undefined;
    } while (nextToken);
    expect(seen.sort()).toEqual(names);
    expect(await call({ method: 'GET', resource: '/keys', query: { limit: '0' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await call({ method: 'GET', resource: '/keys', query: { limit: '2', nextToken: '<script>' } })).toMatchObject({ status: 400, body: { error: 'invalid_next_token' } });
    expect(await call({ method: 'GET', resource: '/keys', query: { page: '2' } })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('DELETE /keys/{name}/{kid}: removes one key; 409 last_key; 404 unknown_kid; 400 invalid_kid', async () => {
    const { put, call } = setup();
    await put('acme', a.publicKeyPem);
    await put('acme', b.publicKeyPem);
    const del = (kid: string) => call({ method: 'DELETE', resource: '/keys/{name}/{kid}', pathParameters: { name: 'acme', kid } });
    expect(await del(c.kid)).toMatchObject({ status: 404, body: { error: 'unknown_kid' } });
    expect(await del('short')).toMatchObject({ status: 400, body: { error: 'invalid_kid' } });
    const removed = await del(a.kid);
    expect(removed.status).toBe(200);
    expect(removed.body.keys?.map((k) => k.kid)).toEqual([b.kid]);
    expect(await del(b.kid)).toMatchObject({ status: 409, body: { error: 'last_key' } });
  });

  it('DELETE /keys/{name} revokes; the name is then unknown and cannot take keys; POST restore brings it back', async () => {
    const { put, call } = setup();
    await put('acme', a.publicKeyPem);
    const revoked = await call({ method: 'DELETE', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
    expect(revoked).toMatchObject({ status: 200, body: { name: 'acme', revoked: true, restoreBefore: expect.any(String) } });
    expect(new Date(String(revoked.body['restoreBefore'])).getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    expect((await call({ method: 'GET', resource: '/keys/{name}', pathParameters: { name: 'acme' } })).status).toBe(404);
    expect(await put('acme', b.publicKeyPem)).toMatchObject({ status: 409, body: { error: 'name_revoked' } });
    expect(await call({ method: 'DELETE', resource: '/keys/{name}', pathParameters: { name: 'acme' } })).toMatchObject({ status: 409, body: { error: 'name_revoked' } });
    const restored = await call({ method: 'POST', resource: '/keys/{name}/restore', pathParameters: { name: 'acme' } });
    expect(restored).toMatchObject({ status: 200, body: { name: 'acme', keys: [{ kid: a.kid }] } });
    expect(restored.body['outcome']).toBe('restored');
    // Idempotent: a repeat (a retry after a lost reply) is a success that changed nothing.
    expect(await call({ method: 'POST', resource: '/keys/{name}/restore', pathParameters: { name: 'acme' } })).toMatchObject({ status: 200, body: { name: 'acme', outcome: 'already_active', keys: [{ kid: a.kid }] } });
    expect(await call({ method: 'DELETE', resource: '/keys/{name}', pathParameters: { name: 'ghost' } })).toMatchObject({ status: 404, body: { error: 'unknown_key_name' } });
  });

  it('unknown routes are 404, wrong methods 405 with Allow', async () => {
    const { call } = setup();
    expect(await call({ method: 'GET', resource: '/nope' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const wrong = await call({ method: 'PATCH', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
    expect(wrong).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(wrong.headers['allow']).toBe('PUT, GET, DELETE');
  });

  it('every change writes one audit line: action, outcome, caller, name and kid, and nothing of the key', async () => {
    const { put, call } = setup();
    const { output } = await captureOutput(async () => {
      await put('acme', a.publicKeyPem);
      await put('acme', b.publicKeyPem);
      await call({ method: 'DELETE', resource: '/keys/{name}/{kid}', pathParameters: { name: 'acme', kid: a.kid } });
      await call({ method: 'DELETE', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
      await call({ method: 'POST', resource: '/keys/{name}/restore', pathParameters: { name: 'acme' } });
      await call({ method: 'POST', resource: '/keys/{name}/restore', pathParameters: { name: 'acme' } }); // a repeat: nothing changes
      await call({ method: 'GET', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
    });
    expect(auditLines(output)).toEqual([
      expect.objectContaining({ action: 'add_key', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme', kid: a.kid }),
      expect.objectContaining({ action: 'add_key', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme', kid: b.kid }),
      expect.objectContaining({ action: 'remove_key', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme', kid: a.kid }),
      expect.objectContaining({ action: 'revoke_name', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme' }),
      expect.objectContaining({ action: 'restore_name', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme' }),
      expect.objectContaining({ action: 'restore_name', outcome: 'unchanged', caller: SUPPORT_ARN, keyName: 'acme' }),
    ]);
    expectNoFragments('the audit lines', output, secretFragments(a.publicKeyPem, b.publicKeyPem, a.jwk.n, b.jwk.n));
    const counted = jsonLines(output).filter((line) => '_aws' in line).map((line) => Object.keys(line).find((key) => /^[A-Z]/.test(key)));
    expect(counted).toEqual(['KeyAdded', 'KeyAdded', 'KeyRemoved', 'NameRevoked', 'NameRestored']);
    expect(output).not.toContain('No application metrics to publish');
  });

  it('refuses a change with no caller identity (403)', async () => {
    const { put } = setup();
    expect(await put('acme', a.publicKeyPem, { userArn: null })).toMatchObject({ status: 403, body: { error: 'missing_caller_identity' } });
  });
});

describe('registration refusals: status and stable error code', () => {
  const { put, lastBodySent } = setup();
  const privatePkcs8 = a.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cases: [string, number, string, () => ReturnType<typeof put>][] = [
    ['PKCS#1 private key', 400, 'private_key_not_accepted', async () => put('x', a.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())],
    ['PKCS#8 private key', 400, 'private_key_not_accepted', async () => put('x', privatePkcs8)],
    ['encrypted private key', 400, 'private_key_not_accepted', async () => put('x', a.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString())],
    ['EC key', 400, 'unsupported_key_type', async () => put('x', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString())],
    ['Ed25519 key', 400, 'unsupported_key_type', async () => put('x', generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString())],
    ['1024-bit key', 400, 'key_too_small', async () => put('x', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString())],
    ['over-limit key (6144 bits)', 400, 'key_too_large', async () => put('x', rsaPublicKeyPemOfBits(6144))],
    ['e = 3', 400, 'unsupported_exponent', async () => put('x', generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ type: 'spki', format: 'pem' }).toString())],
    ['e = 1', 400, 'unsupported_exponent', async () => put('x', pkcs1PemWithExponent(1))],
    ['two PEM blocks', 400, 'multiple_pem_blocks', async () => put('x', a.publicKeyPem + b.publicKeyPem)],
    ['text around the block', 400, 'text_around_pem', async () => put('x', `key:\n${a.publicKeyPem}`)],
    ['base64 applied twice', 400, 'double_encoded', async () => put('x', b64(b64(a.publicKeyPem)))],
    ['garbage', 400, 'not_pem', async () => put('x', 'garbage!')],
    ['publicKey not a string', 400, 'invalid_request', async () => put('x', 42)],
    ['unknown field', 400, 'invalid_request', async () => put('x', a.publicKeyPem, { body: { publicKey: a.publicKeyPem, owner: 'me' } })],
    ['empty body', 400, 'invalid_json', async () => put('x', undefined, { rawBody: '' })],
    ['non-JSON body', 400, 'invalid_json', async () => put('x', undefined, { rawBody: '{"publicKey":' })],
    ['JSON array body', 400, 'invalid_request', async () => put('x', undefined, { rawBody: '[]' })],
    ['oversized body', 413, 'body_too_large', async () => put('x', 'A'.repeat(17 * 1024))],
    ['wrong content type', 415, 'unsupported_media_type', async () => put('x', a.publicKeyPem, { contentType: 'text/plain' })],
    ['no content type', 415, 'unsupported_media_type', async () => put('x', a.publicKeyPem, { contentType: null })],
    ['name ..', 400, 'invalid_key_name', async () => put('..', a.publicKeyPem)],
    ['name with /', 400, 'invalid_key_name', async () => put('a/b', a.publicKeyPem)],
    ['name with :', 400, 'invalid_key_name', async () => put('a:b', a.publicKeyPem)],
    ['name of 65 characters', 400, 'invalid_key_name', async () => put('a'.repeat(65), a.publicKeyPem)],
    ['empty name', 400, 'invalid_key_name', async () => put('', a.publicKeyPem)],
    ['expired certificate', 400, 'certificate_expired', async () => {
      const ca = await createSelfSignedCa({ subject: 'CN=Old CA', notBefore: new Date('2020-01-01'), notAfter: new Date('2030-01-01') });
      const old = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=old', notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
      return put('x', old.certificatePem);
    }],
  ];

  it.each(cases)('%s → %d %s, without echoing the input', async (_label, status, code, act) => {
    const { result, output } = await captureOutput(act);
    expect(result).toMatchObject({ status, body: { error: code, message: expect.any(String) } });
    expect(Object.keys(result?.body ?? {}).sort()).toEqual(['error', 'message']);
    const input = secretFragments(lastBodySent());
    expectNoFragments('the response', JSON.stringify(result), input);
    expectNoFragments('the log output', output, input);
    expect(output).not.toMatch(/MII[A-Za-z0-9+/]{20}/); // no DER/PEM body of any key in any log line
    expect(auditLines(output)).toEqual([expect.objectContaining({ action: 'PUT /keys/{name}', outcome: `refused:${code}`, caller: SUPPORT_ARN })]);
  });

  it('a private key hidden in a field name is neither echoed nor logged', async () => {
    const privateLine = privatePkcs8.split('\n')[3] as string;
    const { result, output } = await captureOutput(() => put('x', a.publicKeyPem, { body: { publicKey: a.publicKeyPem, [privateLine]: 1 } }));
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_request', message: 'body: unknown field 1 not shown' } });
    const secret = secretFragments(privateLine);
    expectNoFragments('the response', JSON.stringify(result), secret);
    expectNoFragments('the log output', output, secret);
  });

  it('POWERTOOLS_LOGGER_LOG_EVENT=true does not make the handler log the request body', async () => {
    process.env['POWERTOOLS_LOGGER_LOG_EVENT'] = 'true';
    const { put: withEventLogging } = setup();
    const { result, output } = await captureOutput(async () => {
      try {
        return await withEventLogging('x', privatePkcs8);
      } finally {
        delete process.env['POWERTOOLS_LOGGER_LOG_EVENT'];
      }
    });
    expect(result).toMatchObject({ status: 400, body: { error: 'private_key_not_accepted' } });
    expect(output).not.toContain('Lambda invocation event');
    expectNoFragments('the log output', output, secretFragments(privatePkcs8));
  });

  it('a duplicate publicKey member is refused, not resolved to the last one', async () => {
    const rawBody = `{"publicKey":${JSON.stringify(privatePkcs8)},"publicKey":${JSON.stringify(a.publicKeyPem)}}`;
    const { result, output } = await captureOutput(() => put('x', undefined, { rawBody }));
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_json', message: expect.stringContaining('duplicate member') } });
    expectNoFragments('the log output', output, secretFragments(privatePkcs8));
  });

  it.each([
    ['SPKI PEM', () => a.publicKeyPem],
    ['PKCS#1 PEM', () => a.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['SPKI base64-encoded once', () => b64(a.publicKeyPem)],
    ['PKCS#1 base64-encoded once', () => b64(a.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString())],
    ['CRLF line endings', () => a.publicKeyPem.replace(/\n/g, '\r\n')],
  ])('accepts %s', async (_label, input) => {
    const { put: fresh, lastBodySent } = setup();
    const { result, output } = await captureOutput(() => fresh('acme', input()));
    expect(result).toMatchObject({ status: 201, body: { kid: a.kid } });
    const material = secretFragments(lastBodySent(), a.jwk.n);
    expectNoFragments('the response', JSON.stringify(result), material);
    expectNoFragments('the log output', output, material);
    expect(output).not.toMatch(/MII[A-Za-z0-9+/]{20}/);
    expect(auditLines(output)).toEqual([expect.objectContaining({ action: 'add_key', outcome: 'ok', caller: SUPPORT_ARN, keyName: 'acme', kid: a.kid })]);
  });

  it('accepts a valid certificate and its base64 form', async () => {
    const ca = await createSelfSignedCa({ subject: 'CN=Test CA' });
    const cert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' });
    const { put: fresh } = setup();
    expect((await fresh('acme', cert.certificatePem)).status).toBe(201);
    expect((await fresh('acme', b64(cert.certificatePem))).body).toMatchObject({ outcome: 'already_present' });
  });
});

describe('key lifecycle through the authorizer', () => {
  it('a full rotation: add a second key, both verify, remove the first, only the second verifies once the cache expires', async () => {
    const { put, call, prefix, config } = setup();
    const clock = { now: 1_790_000_000_000 };
    const authorize = createAuthorizerHandler({ keyStore: new SecretsManagerKeyStore({ prefix }), config, now: () => clock.now });
    const verdict = async (pair: typeof a, kid?: string) => {
      const token = await mintToken(pair, { nowSeconds: Math.floor(clock.now / 1000), ...(kid ? { kid } : {}) });
      const result = await authorize(authorizerEvent({ authorization: `Bearer ${token}` }), lambdaContext);
      return result.policyDocument.Statement[0] && 'Effect' in result.policyDocument.Statement[0] ? result.policyDocument.Statement[0].Effect : undefined;
    };
    await put('acme', a.publicKeyPem);
    expect(await verdict(a)).toBe('Allow');
    await put('acme', b.publicKeyPem);
    clock.now += 61_000;
    expect(await verdict(a, a.kid)).toBe('Allow');
    expect(await verdict(b, b.kid)).toBe('Allow');
    expect(await verdict(b)).toBe('Allow');
    expect((await call({ method: 'DELETE', resource: '/keys/{name}/{kid}', pathParameters: { name: 'acme', kid: a.kid } })).status).toBe(200);
    expect(await verdict(a)).toBe('Allow'); // still cached: the old key works until the cache bound
    clock.now += 61_000;
    expect(await verdict(a)).toBe('Deny');
    expect(await verdict(b)).toBe('Allow');
  });

  it('concurrent PUTs of two different keys from parallel invocations: both kept, never three', async () => {
    const { put, prefix, config } = setup();
    const second = createRegistrationHandler({ config, keyStore: new SecretsManagerKeyStore({ prefix }) });
    const putViaSecond = async (name: string, publicKey: string) => {
      const response = await second(registrationEvent({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name }, body: { publicKey } }), lambdaContext);
      return { status: response.statusCode, body: JSON.parse(response.body) as { error?: string } };
    };
    const statuses = (await Promise.all([put('race', a.publicKeyPem), putViaSecond('race', b.publicKeyPem)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 201]);
    const third = await Promise.all([put('race2', a.publicKeyPem)]);
    expect(third[0]?.status).toBe(201);
    const both = await Promise.all([put('race2', b.publicKeyPem), putViaSecond('race2', c.publicKeyPem)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const kidsOf = async (name: string) => {
      const shown = await second(registrationEvent({ method: 'GET', resource: '/keys/{name}', pathParameters: { name } }), lambdaContext);
      return (JSON.parse(shown.body) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    };
    expect(await kidsOf('race')).toEqual([a.kid, b.kid].sort());
    const race2 = await kidsOf('race2');
    expect(race2).toHaveLength(2);
    expect(race2).toContain(a.kid);
  });
});
