import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { loadCa } from '../../cli/pki/ca-store.js';
import { distinguishedName, issueCertificate } from '../../cli/pki/x509.js';
import { buildCli, keygate } from '../cli/setup.js';
import { httpsRequest } from '../helpers/https-client.js';
import { openApiValidator } from '../helpers/openapi.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';

/**
 * Issue 16 (route permissions, pinned certificates) end to end: one `keygate serve --any-route`
 * with the key cache off, real mutual TLS with certificates from its dev CA, and the keygate CLI
 * for the registrations.
 */
let server: Running;
let caPem: string;
let support: string[];
const consumer = rsaKeyPair(2048, 'e2e-access-consumer');
let consumerPublicKey: string;

interface ClientCert {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
}
let demo: ClientCert;
const validate = openApiValidator();
let sameCa: ClientCert;

beforeAll(async () => {
  await buildCli();
  server = await startServe({ KEYGATE_KEY_CACHE_SECONDS: '0', KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '0' }, ['--any-route'], { sharedPki: true });
  const { dataDir } = server;
  caPem = await readFile(join(dataDir, 'ca/ca.pem'), 'utf8');
  support = ['--endpoint', server.url, '--cert', join(dataDir, 'support.pem'), '--key', join(dataDir, 'support.key'), '--ca', join(dataDir, 'ca/ca.pem')];
  consumerPublicKey = join(server.cwd, 'consumer.pub');
  await writeFile(consumerPublicKey, consumer.publicKeyPem);
  demo = { cert: await readFile(join(dataDir, 'demo.pem'), 'utf8'), key: await readFile(join(dataDir, 'demo.key'), 'utf8'), certFile: join(dataDir, 'demo.pem') };
  // Another consumer certificate of the same dev CA, with the same subject as the demo one.
  const issued = await issueCertificate({ issuer: await loadCa(join(dataDir, 'ca'), new Date()), profile: 'client', subject: distinguishedName('demo', 'keygate local') });
  sameCa = { cert: issued.certificatePem, key: issued.privateKeyPem, certFile: join(server.cwd, 'same-ca.pem') };
  await writeFile(sameCa.certFile, issued.certificatePem);
}, 120_000);

afterAll(async () => {
  expect(await stopServe(server)).toBe(0);
});

/** `method path` with a client certificate and a token for `name`: status, error and reason of a refusal, the WWW-Authenticate header. */
async function call(method: string, path: string, client: ClientCert, name: string) {
  const token = await mintToken(consumer, { name });
  const result = await httpsRequest(`${server.url}${path}`, { method, ca: caPem, cert: client.cert, key: client.key, headers: { authorization: `Bearer ${token}` } });
  if (result.status === 200) return { status: 200, keyName: result.json<{ keyName?: string }>().keyName };
  const body = result.json<{ error?: string; reason?: string; detail?: string }>();
  // Every refusal has the documented shape of a protected route's 401 (docs/openapi.json, /whoami).
  expect(validate('GET', '/whoami', result.status, body), JSON.stringify(body)).toEqual([]);
  return { status: result.status, error: body.error, reason: body.reason, detail: body.detail, challenge: result.headers['www-authenticate'] };
}

async function cli(args: string[]) {
  const result = await keygate(args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const INSUFFICIENT_SCOPE = { status: 401, error: 'insufficient_scope', reason: 'insufficient_scope', detail: '', challenge: 'Bearer error="invalid_token"' };
const MISMATCH = { status: 401, error: 'invalid_token', reason: 'client_certificate_mismatch', detail: '' };

describe('route permissions through keygate serve', () => {
  it("a name limited to GET /orders/* (keygate keys add --route) → 200 on GET /orders/1; 401 insufficient_scope on POST /orders and GET /admin", async () => {
    expect(await cli(['keys', 'add', 'orders', '--public-key', consumerPublicKey, '--route', 'GET /orders/*', ...support])).toMatchObject({ outcome: 'created', routes: ['GET /orders/*'] });
    expect(await call('GET', '/orders/1', demo, 'orders')).toEqual({ status: 200, keyName: 'orders' });
    expect(await call('POST', '/orders', demo, 'orders')).toEqual(INSUFFICIENT_SCOPE);
    expect(await call('GET', '/admin', demo, 'orders')).toEqual(INSUFFICIENT_SCOPE);
  });

  it('keygate keys access changes the routes at once (key cache off), and --all-routes removes them', async () => {
    await cli(['keys', 'add', 'changing', '--public-key', consumerPublicKey, ...support]);
    expect(await call('GET', '/admin', demo, 'changing')).toMatchObject({ status: 200 });
    expect(await cli(['keys', 'access', 'changing', '--route', 'POST /orders', '--route', 'GET /orders/*', ...support])).toMatchObject({ outcome: 'changed', routes: ['GET /orders/*', 'POST /orders'] });
    expect(await call('POST', '/orders', demo, 'changing')).toMatchObject({ status: 200 });
    expect(await call('GET', '/admin', demo, 'changing')).toEqual(INSUFFICIENT_SCOPE);
    const shown = await cli(['keys', 'show', 'changing', ...support]);
    expect(shown['routes']).toEqual(['GET /orders/*', 'POST /orders']);
    await cli(['keys', 'access', 'changing', '--all-routes', ...support]);
    expect(await call('GET', '/admin', demo, 'changing')).toMatchObject({ status: 200 });
  });
});

describe('pinned client certificates through keygate serve', () => {
  it('a name pinned to the demo certificate (--pin-cert) → 200 with it; 401 client_certificate_mismatch with another certificate of the same CA', async () => {
    const demoPin = readClientCertificate(demo.cert).spkiPinSha256;
    expect(await cli(['keys', 'add', 'pinned', '--public-key', consumerPublicKey, '--pin-cert', demo.certFile, ...support])).toMatchObject({ certificatePins: [demoPin] });
    expect(await call('GET', '/whoami', demo, 'pinned')).toEqual({ status: 200, keyName: 'pinned' });
    expect(await call('GET', '/whoami', sameCa, 'pinned')).toMatchObject(MISMATCH);
  });

  it('keygate keys access --pin moves the pin to the other certificate; --no-pins removes it', async () => {
    await cli(['keys', 'add', 'moving', '--public-key', consumerPublicKey, '--pin-cert', demo.certFile, ...support]);
    const otherPin = readClientCertificate(sameCa.cert).spkiPinSha256;
    expect(await cli(['keys', 'access', 'moving', '--pin', otherPin, ...support])).toMatchObject({ outcome: 'changed', certificatePins: [otherPin] });
    expect(await call('GET', '/whoami', sameCa, 'moving')).toMatchObject({ status: 200 });
    expect(await call('GET', '/whoami', demo, 'moving')).toMatchObject(MISMATCH);
    await cli(['keys', 'access', 'moving', '--no-pins', ...support]);
    expect(await call('GET', '/whoami', demo, 'moving')).toMatchObject({ status: 200 });
  });

  it('adding a key with other pins than the name has is refused 409 access_mismatch', async () => {
    const other = rsaKeyPair(2048, 'e2e-access-other');
    const otherPublicKey = join(server.cwd, 'other.pub');
    await writeFile(otherPublicKey, other.publicKeyPem);
    const result = await keygate(['keys', 'add', 'pinned', '--public-key', otherPublicKey, '--pin-cert', sameCa.certFile, ...support]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/access_mismatch/);
  });
});
