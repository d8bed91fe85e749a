import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { readConfig } from '../../lambdas/core/config.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { DynamoDbReplayGuard } from '../../lambdas/replay/replay-guard.js';
import { SecretsManagerRevocationStore } from '../../lambdas/revocation/revocation-store.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { authorizerEvent, captureOutput, lambdaContext, registrationEvent } from '../helpers/events.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { storedKey } from '../helpers/stored-keys.js';
import { startMoto, useDummyAwsCredentials, type MotoServer } from '../helpers/moto.js';

let moto: MotoServer;
let ca: CertifiedKey;
let acmeCert: CertifiedKey;
let otherCert: CertifiedKey;
const pair = rsaKeyPair(2048);

beforeAll(async () => {
  moto = await startMoto();
  useDummyAwsCredentials(moto.endpoint);
  ca = await createSelfSignedCa({ subject: 'CN=Defense CA' });
  acmeCert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' });
  otherCert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=other' });
});
afterAll(async () => moto?.stop());

let counter = 0;
async function createReplayTable(): Promise<string> {
  const tableName = `keygate-replay-${++counter}`;
  await new DynamoDBClient({}).send(
    new CreateTableCommand({ TableName: tableName, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
  );
  return tableName;
}

/** Registration and authorizer over one prefix on moto, with the optional features switched on by `env`. */
function setup(env: Record<string, string> = {}, features: { replayTable?: string; revocationSecret?: string } = {}) {
  const prefix = `did-${++counter}/keys/`;
  const config = readConfig({ KEYGATE_SECRET_PREFIX: prefix, ...env });
  const keyStore = new SecretsManagerKeyStore({ prefix });
  const revocationStore = features.revocationSecret ? new SecretsManagerRevocationStore(features.revocationSecret) : undefined;
  const authorizer = createAuthorizerHandler({ keyStore, config, revocationStore, replayGuard: features.replayTable ? new DynamoDbReplayGuard(features.replayTable) : undefined });
  const registration = createRegistrationHandler({ keyStore, config, revocationStore });
  const register = async (name: string, body: Record<string, unknown>) => {
    const response = await registration(registrationEvent({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name }, body: { publicKey: pair.publicKeyPem, ...body } }), lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };
  const authorize = async (token: string, certificate?: CertifiedKey) => {
    const result = await authorizer(authorizerEvent({ authorization: `Bearer ${token}`, clientCertPem: certificate?.certificatePem }), lambdaContext);
    const statement = result.policyDocument.Statement[0];
    return statement && 'Effect' in statement && statement.Effect === 'Allow' ? 'allow' : String(result.context?.['reason']);
  };
  return { register, authorize, registration, keyStore };
}

describe('replay protection (DynamoDB on moto_server)', () => {
  it('accepts a token once and denies its reuse with replayed_token; a new token is fine', async () => {
    const table = await createReplayTable();
    const { register, authorize } = setup({}, { replayTable: table });
    await register('acme', {});
    const token = await mintToken(pair, { claims: { jti: 'once-only' } });
    expect(await authorize(token)).toBe('allow');
    expect(await authorize(token)).toBe('replayed_token');
    expect(await authorize(await mintToken(pair))).toBe('allow');
  });

  it('records pk = <name>#<jti> with expiresAt = exp + clock skew (the TTL attribute)', async () => {
    const table = await createReplayTable();
    const { register, authorize } = setup({ KEYGATE_CLOCK_SKEW_SECONDS: '45' }, { replayTable: table });
    await register('acme', {});
    const now = Math.floor(Date.now() / 1000);
    expect(await authorize(await mintToken(pair, { nowSeconds: now, ttlSeconds: 120, claims: { jti: 'ttl-check' } }))).toBe('allow');
    const item = await new DynamoDBClient({}).send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'acme#ttl-check' } } }));
    expect(item.Item?.['expiresAt']).toEqual({ N: String(now + 120 + 45) });
  });

  it('parallel invocations with the same token: exactly one Allow', async () => {
    const table = await createReplayTable();
    const { register, authorize } = setup({}, { replayTable: table });
    await register('acme', {});
    const token = await mintToken(pair);
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => authorize(token)));
    expect(verdicts.filter((v) => v === 'allow')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'replayed_token')).toHaveLength(7);
  });

  it('a refused token does not burn its jti (recorded only after every other check)', async () => {
    const table = await createReplayTable();
    const { register, authorize } = setup({ KEYGATE_DEFAULT_BINDING: 'subject' }, { replayTable: table });
    await register('acme', {});
    const token = await mintToken(pair, { claims: { jti: 'not-burned' } });
    expect(await authorize(token, otherCert)).toBe('client_certificate_mismatch');
    expect(await authorize(token, acmeCert)).toBe('allow');
  });

  it('a missing replay table fails closed (AUTHORIZER_FAILURE), counted as ReplayTableFault', async () => {
    const { register, authorize } = setup({}, { replayTable: 'no-such-table' });
    await register('acme', {});
    const { error, output } = await captureOutput(async () => authorize(await mintToken(pair)));
    expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(output).toContain('ReplayTableFault');
  });

  it('DynamoDB down (the emulator stopped) fails closed, even though every other check passed', async () => {
    const table = await createReplayTable();
    const { register, authorize } = setup({}, { replayTable: table });
    await register('acme', {});
    expect(await authorize(await mintToken(pair))).toBe('allow'); // the keys are cached from here on
    await moto.stop();
    try {
      const { error, output } = await captureOutput(async () => authorize(await mintToken(pair)));
      expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
      expect(output).toContain('ReplayTableFault');
    } finally {
      await moto.restart();
    }
  }, 60_000);
});

describe('certificate-bound tokens', () => {
  it('binding is set at registration, reported, and cannot be changed by a later PUT', async () => {
    const { register } = setup();
    expect(await register('acme', { binding: 'thumbprint' })).toMatchObject({ status: 201, body: { binding: 'thumbprint' } });
    expect(await register('acme', { binding: 'subject' })).toMatchObject({ status: 409, body: { error: 'binding_mismatch' } });
    expect(await register('acme', {})).toMatchObject({ status: 200, body: { binding: 'thumbprint', outcome: 'already_present' } });
    expect(await register('other', { binding: 'strict' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('KEYGATE_DEFAULT_BINDING applies to names registered without one', async () => {
    const { register, authorize } = setup({ KEYGATE_DEFAULT_BINDING: 'subject' });
    expect(await register('acme', {})).toMatchObject({ status: 201, body: { binding: 'subject' } });
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('allow');
    expect(await authorize(await mintToken(pair), otherCert)).toBe('client_certificate_mismatch');
  });

  it('a record written before bindings existed (no binding in it) shows the default binding, and is held to it', async () => {
    const { registration, authorize, keyStore, register } = setup({ KEYGATE_DEFAULT_BINDING: 'subject' });
    // The store itself records no binding when it is given no default: a record as old versions wrote it.
    await keyStore.addKey('acme', storedKey('default'), {});
    const shown = await registration(registrationEvent({ method: 'GET', resource: '/keys/{name}', pathParameters: { name: 'acme' } }), lambdaContext);
    expect(JSON.parse(shown.body)).toMatchObject({ name: 'acme', binding: 'subject' });
    expect(await authorize(await mintToken(pair), otherCert)).toBe('client_certificate_mismatch');
    expect(await register('acme', { binding: 'none' })).toMatchObject({ status: 409, body: { error: 'binding_mismatch' } });
  });

  it.each([
    ['none', 'acme', 'allow', 'allow', 'allow'],
    ['subject', 'acme', 'allow', 'client_certificate_mismatch', 'client_certificate_mismatch'],
  ])('binding %s: matching certificate, another certificate, none', async (binding, name, matching, another, without) => {
    const { register, authorize } = setup();
    await register(name, { binding });
    expect(await authorize(await mintToken(pair, { name }), acmeCert)).toBe(matching);
    expect(await authorize(await mintToken(pair, { name }), otherCert)).toBe(another);
    expect(await authorize(await mintToken(pair, { name }))).toBe(without);
  });

  it('binding thumbprint: cnf x5t#S256 of the presented certificate, a wrong cnf, no cnf, no certificate', async () => {
    const { register, authorize } = setup();
    await register('acme', { binding: 'thumbprint' });
    const cnfFor = (certificate: CertifiedKey) => ({ cnf: { 'x5t#S256': readClientCertificate(certificate.certificatePem).thumbprintSha256 } });
    expect(await authorize(await mintToken(pair, { claims: cnfFor(acmeCert) }), acmeCert)).toBe('allow');
    expect(await authorize(await mintToken(pair, { claims: cnfFor(acmeCert) }), otherCert)).toBe('client_certificate_mismatch');
    expect(await authorize(await mintToken(pair, { claims: cnfFor(otherCert) }), acmeCert)).toBe('client_certificate_mismatch');
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('client_certificate_mismatch');
    expect(await authorize(await mintToken(pair, { claims: cnfFor(acmeCert) }))).toBe('client_certificate_mismatch');
  });
});

describe('certificate binding with API Gateway\'s authorizer result cache on', () => {
  it('a bound name fails closed (a cached Allow would be reused with any certificate); unbound names are unaffected', async () => {
    const { register, authorize } = setup({ KEYGATE_AUTHORIZER_CACHE_SECONDS: '60' });
    await register('acme', { binding: 'subject' });
    await register('beta', {});

    expect(await authorize(await mintToken(pair, { name: 'acme' }), acmeCert)).toBe('client_certificate_mismatch');
    expect(await authorize(await mintToken(pair, { name: 'beta' }), acmeCert)).toBe('allow');
  });
});

describe('client-certificate revocation (Secrets Manager on moto_server)', () => {
  it('support staff revoke by issuer and serial; that certificate is denied, others of the same CA are not', async () => {
    const secret = `keygate/revoked-${++counter}`;
    const { register, authorize, registration } = setup({ KEYGATE_REVOCATION_CACHE_SECONDS: '0' }, { revocationSecret: secret });
    await register('acme', {});
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('allow');
    const facts = readClientCertificate(acmeCert.certificatePem);
    const revoke = async (serialNumber: string) => {
      const response = await registration(registrationEvent({ method: 'POST', resource: '/revocations', body: { issuer: facts.issuer, serialNumber, reason: 'laptop stolen' } }), lambdaContext);
      return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
    };
    // Upper case without colons: the same serial, normalized.
    expect(await revoke(facts.serialNumber.replace(/:/g, '').toUpperCase())).toMatchObject({ status: 201, body: { outcome: 'added', serialNumber: facts.serialNumber } });
    expect(await revoke(facts.serialNumber)).toMatchObject({ status: 200, body: { outcome: 'already_revoked' } });
    expect(await revoke('not hex')).toMatchObject({ status: 400, body: { error: 'invalid_serial_number' } });
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('certificate_revoked');
    expect(await authorize(await mintToken(pair), otherCert)).toBe('allow');
    const listed = await registration(registrationEvent({ method: 'GET', resource: '/revocations' }), lambdaContext);
    expect(JSON.parse(listed.body)).toMatchObject({ items: [{ issuer: 'CN=Defense CA', serialNumber: facts.serialNumber, reason: 'laptop stolen', revokedBy: expect.stringContaining('assumed-role') }] });
  });

  it.each(['/CN=Defense CA', 'cn = Defense CA', ' CN=Defense CA '])('an issuer typed as %j still revokes the certificate', async (typed) => {
    const secret = `keygate/revoked-${++counter}`;
    const { register, authorize, registration } = setup({ KEYGATE_REVOCATION_CACHE_SECONDS: '0' }, { revocationSecret: secret });
    await register('acme', {});
    const response = await registration(registrationEvent({ method: 'POST', resource: '/revocations', body: { issuer: typed, serialNumber: readClientCertificate(acmeCert.certificatePem).serialNumber } }), lambdaContext);
    expect(response.statusCode).toBe(201);
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('certificate_revoked');
  });

  it('refuses an issuer that is not a distinguished name', async () => {
    const { registration } = setup({}, { revocationSecret: `keygate/revoked-${++counter}` });
    const response = await registration(registrationEvent({ method: 'POST', resource: '/revocations', body: { issuer: 'Defense CA', serialNumber: '0a' } }), lambdaContext);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_issuer' });
  });

  it('with revocation on, a request without a readable client certificate is denied (fail closed)', async () => {
    const { register, authorize } = setup({ KEYGATE_REVOCATION_CACHE_SECONDS: '0' }, { revocationSecret: `keygate/revoked-${++counter}` });
    await register('acme', {});
    expect(await authorize(await mintToken(pair))).toBe('certificate_revoked');
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('allow');
  });

  it('the list is cached for KEYGATE_REVOCATION_CACHE_SECONDS', async () => {
    const secret = `keygate/revoked-${++counter}`;
    const { register, authorize } = setup({ KEYGATE_REVOCATION_CACHE_SECONDS: '300' }, { revocationSecret: secret });
    await register('acme', {});
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('allow');
    const facts = readClientCertificate(acmeCert.certificatePem);
    await new SecretsManagerRevocationStore(secret).add({ issuer: facts.issuer, serialNumber: facts.serialNumber, revokedAt: 'now', revokedBy: 'test' });
    expect(await authorize(await mintToken(pair), acmeCert)).toBe('allow'); // the cached list is still in force
  });

  it('without a revocation list configured, /revocations answers 404 revocation_disabled', async () => {
    const { registration } = setup();
    const response = await registration(registrationEvent({ method: 'GET', resource: '/revocations' }), lambdaContext);
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'revocation_disabled' });
  });
});
