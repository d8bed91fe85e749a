import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { readConfig } from '../../lambdas/core/config.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { authorizerEvent, captureOutput, jsonLines, lambdaContext, registrationEvent, type ProxyEventOptions } from '../helpers/events.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { useMotoServer } from '../helpers/moto.js';

useMotoServer();

const a = rsaKeyPair(2048);
const b = rsaKeyPair(2048, 'b');
const PIN_X = Buffer.alloc(32, 7).toString('base64url');
const PIN_Y = Buffer.alloc(32, 8).toString('base64url');
let pinnedCert: CertifiedKey;
let otherCert: CertifiedKey;

beforeAll(async () => {
  const ca = await createSelfSignedCa({ subject: 'CN=Access CA' });
  pinnedCert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' });
  otherCert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' }); // same CA, same subject, another key
});

const pinOf = (certificate: CertifiedKey) => readClientCertificate(certificate.certificatePem).spkiPinSha256;

type Body = Record<string, unknown> & { error?: string; message?: string; keys?: { kid: string }[]; routes?: string[]; certificatePins?: string[] };

let counter = 0;
function setup(env: Record<string, string> = {}) {
  const prefix = `access-${++counter}/keys/`;
  const config = readConfig({ KEYGATE_SECRET_PREFIX: prefix, KEYGATE_KEY_CACHE_SECONDS: '0', ...env });
  const keyStore = new SecretsManagerKeyStore({ prefix });
  const registration = createRegistrationHandler({ config, keyStore });
  const authorizer = createAuthorizerHandler({ config, keyStore });
  const call = async (options: ProxyEventOptions) => {
    const response = await registration(registrationEvent(options), lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) as Body };
  };
  const put = (name: string, body: Record<string, unknown>) => call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name }, body: { publicKey: a.publicKeyPem, ...body } });
  const changeAccess = (name: string, body: unknown) => call({ method: 'PUT', resource: '/keys/{name}/access', pathParameters: { name }, body });
  const show = (name: string) => call({ method: 'GET', resource: '/keys/{name}', pathParameters: { name } });
  /** The authorizer's answer for a token of `pair` on `method path` over `certificate` (null: none): 'allow', or error/reason/detail of the Deny. */
  const authorize = async (method: string, path: string, certificate: CertifiedKey | null = pinnedCert, pair = a) => {
    const event = authorizerEvent({ authorization: `Bearer ${await mintToken(pair)}`, clientCertPem: certificate?.certificatePem });
    Object.assign(event, { httpMethod: method, path, methodArn: `arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/${method}${path}` });
    const result = await authorizer(event, lambdaContext);
    const statement = result.policyDocument.Statement[0];
    if (statement && 'Effect' in statement && statement.Effect === 'Allow') return 'allow';
    return `${String(result.context?.['error'])}/${String(result.context?.['reason'])}/${String(result.context?.['detail'])}`;
  };
  return { put, changeAccess, show, authorize, call };
}

describe('registering route permissions and certificate pins (moto_server)', () => {
  it('PUT /keys/{name} stores them canonical (sorted, no repeats) and GET /keys/{name} shows them', async () => {
    const { put, show } = setup();
    const created = await put('acme', { routes: ['POST /orders', 'GET /orders/*', 'POST /orders'], certificatePins: [PIN_Y, PIN_X] });
    expect(created).toMatchObject({ status: 201, body: { routes: ['GET /orders/*', 'POST /orders'], certificatePins: [PIN_X, PIN_Y] } });
    expect((await show('acme')).body).toMatchObject({ routes: ['GET /orders/*', 'POST /orders'], certificatePins: [PIN_X, PIN_Y] });
  });

  it('a name without them shows neither field', async () => {
    const { put, show } = setup();
    await put('plain', {});
    const shown = (await show('plain')).body;
    expect(shown).not.toHaveProperty('routes');
    expect(shown).not.toHaveProperty('certificatePins');
  });

  it.each([
    [{ routes: ['GET orders'] }, 'invalid_route'],
    [{ routes: [] }, 'invalid_route'],
    [{ routes: Array.from({ length: 33 }, (_, i) => `GET /r${i}`) }, 'too_many_routes'],
    [{ certificatePins: ['AAAA'] }, 'invalid_certificate_pin'],
    [{ certificatePins: [] }, 'invalid_certificate_pin_count'],
    [{ certificatePins: [1, 2, 3, 4, 5, 6].map((n) => Buffer.alloc(32, n).toString('base64url')) }, 'invalid_certificate_pin_count'],
    [{ routes: 'GET /orders' }, 'invalid_request'],
  ])('refuses %j with 400 %s and stores nothing', async (body, code) => {
    const { put, show } = setup();
    expect(await put('acme', body)).toMatchObject({ status: 400, body: { error: code } });
    expect((await show('acme')).status).toBe(404);
  });

  it('adding a key to a name: the same settings are fine, other ones are refused 409 access_mismatch, none sent is no check', async () => {
    const { put, call } = setup();
    await put('acme', { routes: ['GET /orders/*'] });
    expect(await put('acme', { routes: ['GET /orders/*'] })).toMatchObject({ status: 200, body: { outcome: 'already_present' } });
    const refused = await call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name: 'acme' }, body: { publicKey: b.publicKeyPem, routes: ['GET /admin'] } });
    expect(refused).toMatchObject({ status: 409, body: { error: 'access_mismatch', message: expect.stringContaining('/keys/acme/access') } });
    expect(await call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name: 'acme' }, body: { publicKey: b.publicKeyPem, certificatePins: [PIN_X] } })).toMatchObject({ status: 409, body: { error: 'access_mismatch' } });
    const added = await call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name: 'acme' }, body: { publicKey: b.publicKeyPem } });
    expect(added).toMatchObject({ status: 200, body: { outcome: 'added', routes: ['GET /orders/*'] } });
  });
});

describe('PUT /keys/{name}/access (moto_server)', () => {
  it('a list replaces, null removes, a field left out is kept; a repeat is unchanged', async () => {
    const { put, changeAccess, show } = setup();
    await put('acme', { routes: ['GET /orders/*'], certificatePins: [PIN_X] });
    expect(await changeAccess('acme', { routes: ['GET /admin'] })).toMatchObject({ status: 200, body: { outcome: 'changed', routes: ['GET /admin'], certificatePins: [PIN_X] } });
    expect(await changeAccess('acme', { routes: ['GET /admin'] })).toMatchObject({ status: 200, body: { outcome: 'unchanged' } });
    expect(await changeAccess('acme', { certificatePins: null })).toMatchObject({ status: 200, body: { outcome: 'changed', routes: ['GET /admin'] } });
    const shown = (await show('acme')).body;
    expect(shown.routes).toEqual(['GET /admin']);
    expect(shown).not.toHaveProperty('certificatePins');
    expect(shown.keys?.map((k) => k.kid)).toEqual([a.kid]);
    expect(await changeAccess('acme', { routes: null })).toMatchObject({ status: 200, body: { outcome: 'changed' } });
    expect((await show('acme')).body).not.toHaveProperty('routes');
  });

  it('refuses an empty change, bad lists, an unknown name and a revoked name, with stable codes', async () => {
    const { put, changeAccess, call } = setup();
    await put('acme', {});
    expect(await changeAccess('acme', {})).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await changeAccess('acme', { routes: ['GET /a', 'nope'] })).toMatchObject({ status: 400, body: { error: 'invalid_route' } });
    expect(await changeAccess('acme', { certificatePins: ['x'] })).toMatchObject({ status: 400, body: { error: 'invalid_certificate_pin' } });
    expect(await changeAccess('acme', { routes: ['GET /a'], other: 1 })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await changeAccess('nobody', { routes: ['GET /a'] })).toMatchObject({ status: 404, body: { error: 'unknown_key_name' } });
    await call({ method: 'DELETE', resource: '/keys/{name}', pathParameters: { name: 'acme' } });
    expect(await changeAccess('acme', { routes: ['GET /a'] })).toMatchObject({ status: 409, body: { error: 'name_revoked' } });
  });

  it('is audited (change_access) and counted as AccessChanged; an unchanged repeat is logged, not counted', async () => {
    const { put, changeAccess } = setup();
    await put('acme', {});
    const { output } = await captureOutput(async () => {
      await changeAccess('acme', { routes: ['GET /orders/*'] });
      await changeAccess('acme', { routes: ['GET /orders/*'] });
    });
    const audits = jsonLines(output).filter((line) => line['audit'] === true);
    expect(audits).toEqual([
      expect.objectContaining({ action: 'change_access', outcome: 'ok', keyName: 'acme' }),
      expect.objectContaining({ action: 'change_access', outcome: 'unchanged', keyName: 'acme' }),
    ]);
    const counted = jsonLines(output).filter((line) => '_aws' in line).map((line) => Object.keys(line).find((key) => /^[A-Z]/.test(key)));
    expect(counted).toEqual(['AccessChanged']);
  });

  it('concurrent access changes and key changes on one name lose nothing', async () => {
    const { put, changeAccess, show, call } = setup();
    await put('acme', {});
    const results = await Promise.all([
      changeAccess('acme', { routes: ['GET /orders/*'] }),
      call({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name: 'acme' }, body: { publicKey: b.publicKeyPem } }),
      changeAccess('acme', { certificatePins: [PIN_X] }),
    ]);
    expect(results.map((result) => result.status)).toEqual([200, 200, 200]);
    const shown = (await show('acme')).body;
    expect(shown.keys?.map((k) => k.kid).sort()).toEqual([a.kid, b.kid].sort());
    expect(shown.routes).toEqual(['GET /orders/*']);
    expect(shown.certificatePins).toEqual([PIN_X]);

    const second = await Promise.all([
      call({ method: 'DELETE', resource: '/keys/{name}/{kid}', pathParameters: { name: 'acme', kid: a.kid } }),
      changeAccess('acme', { routes: ['GET /orders/*', 'POST /orders'] }),
      changeAccess('acme', { certificatePins: null }),
    ]);
    expect(second.map((result) => result.status)).toEqual([200, 200, 200]);
    const after = (await show('acme')).body;
    expect(after.keys?.map((k) => k.kid)).toEqual([b.kid]);
    expect(after.routes).toEqual(['GET /orders/*', 'POST /orders']);
    expect(after).not.toHaveProperty('certificatePins');
  });
});

describe('the authorizer with route permissions and pins (moto_server)', () => {
  it('a name limited to GET /orders/* is allowed on GET /orders/1 and refused insufficient_scope on POST /orders and GET /admin', async () => {
    const { put, authorize } = setup();
    await put('acme', { routes: ['GET /orders/*'] });
    expect(await authorize('GET', '/orders/1')).toBe('allow');
    expect(await authorize('POST', '/orders')).toBe('insufficient_scope/insufficient_scope/');
    expect(await authorize('GET', '/admin')).toBe('insufficient_scope/insufficient_scope/');
  });

  it('a pinned name is allowed with its certificate and refused client_certificate_mismatch with another one of the same CA, or none', async () => {
    const { put, authorize } = setup();
    await put('acme', { certificatePins: [pinOf(pinnedCert)] });
    expect(await authorize('GET', '/whoami', pinnedCert)).toBe('allow');
    expect(await authorize('GET', '/whoami', otherCert)).toBe('invalid_token/client_certificate_mismatch/');
    expect(await authorize('GET', '/whoami', null)).toBe('invalid_token/client_certificate_mismatch/');
  });

  it('a change of access reaches the authorizer (key cache off), both ways', async () => {
    const { put, changeAccess, authorize } = setup();
    await put('acme', {});
    expect(await authorize('GET', '/admin')).toBe('allow');
    await changeAccess('acme', { routes: ['GET /orders/*'], certificatePins: [pinOf(otherCert)] });
    expect(await authorize('GET', '/orders/1', otherCert)).toBe('allow');
    expect(await authorize('GET', '/orders/1', pinnedCert)).toBe('invalid_token/client_certificate_mismatch/');
    expect(await authorize('GET', '/admin', otherCert)).toBe('insufficient_scope/insufficient_scope/');
    await changeAccess('acme', { routes: null, certificatePins: null });
    expect(await authorize('GET', '/admin', pinnedCert)).toBe('allow');
  });

  it('with the authorizer result cache on, a name with routes or pins fails closed; other names are unaffected', async () => {
    const { put, authorize } = setup({ KEYGATE_AUTHORIZER_CACHE_SECONDS: '60' });
    await put('acme', { routes: ['GET /orders/*'] });
    expect(await authorize('GET', '/orders/1')).toBe('insufficient_scope/insufficient_scope/');
    const other = setup({ KEYGATE_AUTHORIZER_CACHE_SECONDS: '60' });
    await other.put('acme', { certificatePins: [pinOf(pinnedCert)] });
    expect(await other.authorize('GET', '/orders/1')).toBe('invalid_token/client_certificate_mismatch/');
    const plain = setup({ KEYGATE_AUTHORIZER_CACHE_SECONDS: '60' });
    await plain.put('acme', {});
    expect(await plain.authorize('GET', '/admin')).toBe('allow');
  });
});
