import { spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { ACCESS_LOG_FIELDS } from '../../lib/access-log-fields.js';
import { buildCli, keygate, ROOT } from '../cli/setup.js';
import { jsonLines } from '../helpers/events.js';
import { httpsRequest, type HttpsOptions } from '../helpers/https-client.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';
import { mintToken, rsaKeyPair, signRaw } from '../helpers/keys.js';
import { OPENAPI_DOCUMENT, openApiValidator } from '../helpers/openapi.js';

let server: Running;
let pem: { ca: string; demoCert: string; demoKey: string; supportCert: string; supportKey: string };
const consumer = rsaKeyPair(2048, 'e2e-consumer');

beforeAll(async () => {
  await buildCli();
  // The quick start below makes a dev PKI on first run as a newcomer's `npm start` does; this server
  // serves from a copy of the run's shared one (made by the same code, file modes kept by the copy).
  server = await startServe({ KEYGATE_KEY_CACHE_SECONDS: '0', KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '0' }, [], { sharedPki: true });
  const read = (name: string) => readFile(join(server.dataDir, name), 'utf8');
  pem = { ca: await read('ca/ca.pem'), demoCert: await read('demo.pem'), demoKey: await read('demo.key'), supportCert: await read('support.pem'), supportKey: await read('support.key') };
}, 120_000);

afterAll(async () => {
  const code = await stopServe(server);
  expect(code, 'keygate serve shuts down cleanly on SIGTERM').toBe(0);
});

const asDemo = (extra: Partial<HttpsOptions> = {}): HttpsOptions => ({ ca: pem.ca, cert: pem.demoCert, key: pem.demoKey, ...extra });
const asSupport = (extra: Partial<HttpsOptions> = {}): HttpsOptions => ({ ca: pem.ca, cert: pem.supportCert, key: pem.supportKey, ...extra });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function register(name: string, publicKeyPem: string) {
  return httpsRequest(`${server.url}/keys/${name}`, asSupport({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ publicKey: publicKeyPem }) }));
}

describe('keygate serve: the mutual TLS handshake', () => {
  it('writes private keys with mode 0600', async () => {
    for (const file of ['ca/ca.key', 'server.key', 'demo.key', 'support.key']) {
      expect((await stat(join(server.dataDir, file))).mode & 0o777, file).toBe(0o600);
    }
  });

  it.each([
    ['TLSv1.2', /alert handshake failure/],
    ['TLSv1.3', /alert certificate required/],
  ] as const)('refuses a client without a certificate at the handshake (%s: the server alerts %s)', async (maxVersion, alert) => {
    await expect(httpsRequest(`${server.url}/whoami`, { ca: pem.ca, maxVersion })).rejects.toMatchObject({ message: expect.stringMatching(alert) });
  });

  it('refuses a certificate from another CA at the handshake (the server closes the connection)', async () => {
    const otherCa = await createSelfSignedCa({ subject: 'CN=Other CA' });
    const stranger = await issueCertificate({ issuer: otherCa, profile: 'client', subject: 'CN=demo' });
    await expect(httpsRequest(`${server.url}/whoami`, { ca: pem.ca, cert: stranger.certificatePem, key: stranger.privateKeyPem })).rejects.toMatchObject({
      code: expect.stringMatching(/^(ECONNRESET|ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE)$/),
    });
  });

  it('the server certificate verifies against the dev CA for 127.0.0.1 (no verification turned off anywhere)', async () => {
    const result = await httpsRequest(`${server.url}/whoami`, asDemo());
    expect(result.status).toBe(401);
  });
});

describe('keygate serve: tokens and the authorizer', () => {
  beforeAll(async () => {
    expect((await register('e2e', consumer.publicKeyPem)).status).toBe(201);
  });

  it('demo certificate + valid token → 200 with the key name and the certificate subject', async () => {
    const result = await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name: 'e2e' }))));
    expect(result.status).toBe(200);
    expect(result.json()).toMatchObject({ keyName: 'e2e', kid: consumer.kid, clientCertificate: { subjectDN: 'CN=demo,O=keygate local', issuerDN: 'CN=keygate dev CA' } });
  });

  it('no Authorization header → 401 with WWW-Authenticate: Bearer', async () => {
    const result = await httpsRequest(`${server.url}/whoami`, asDemo());
    expect(result.status).toBe(401);
    expect(result.headers['www-authenticate']).toBe('Bearer');
    expect(result.json()).toMatchObject({ error: 'unauthorized' });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claimsWith = (iat: string) => `{"sub":"ces:customer:e2e","iat":${iat},"exp":${now() + 60},"jti":"x"}`;
  // The sentence is sent for denials decided from the token alone; never for a name, a key or a signature.
  it.each([
    ['malformed', async () => 'not.a.token', 'malformed_token', 'a segment is not canonical unpadded base64url'],
    ['RS256', async () => signRaw(consumer, '{"alg":"RS256"}', JSON.stringify({ sub: 'ces:customer:e2e', iat: now(), exp: now() + 60, jti: 'x' })), 'unsupported_algorithm', 'alg must be RS512; got RS256'],
    ['bad subject', async () => mintToken(consumer, { claims: { sub: 'e2e' } }), 'invalid_subject', expect.stringMatching(/^sub must be ces:customer:<key name> .*; got a string without the ces:customer: prefix$/)],
    ['missing jti', async () => mintToken(consumer, { name: 'e2e', omit: ['jti'] }), 'invalid_claims', 'jti is required'],
    ['iat with a fraction (PyJWT with time.time())', async () => signRaw(consumer, '{"alg":"RS512"}', claimsWith(`${now()}.25`)), 'invalid_claims', 'iat must be an integer number of seconds since the epoch; got a number with a fraction'],
    ['iat as a string', async () => signRaw(consumer, '{"alg":"RS512"}', claimsWith(`"${now()}"`)), 'invalid_claims', 'iat must be an integer number of seconds since the epoch; got a number in a string'],
    ['milliseconds (Java Date.getTime())', async () => mintToken(consumer, { name: 'e2e', claims: { iat: now() * 1000, exp: now() * 1000 + 300_000 } }), 'lifetime_too_long', 'exp - iat is 300000 s; at most 1800 s is allowed; exp and iat look like milliseconds'],
    ['expired', async () => mintToken(consumer, { name: 'e2e', nowSeconds: now() - 1000 }), 'token_expired', expect.stringMatching(/^exp is 70\d s in the past; the allowed clock skew is 30 s$/)],
    ['from the future', async () => mintToken(consumer, { name: 'e2e', nowSeconds: now() + 600 }), 'token_not_yet_valid', expect.stringMatching(/^iat is 59\d s in the future; the allowed clock skew is 30 s$|^iat is 600 s in the future; the allowed clock skew is 30 s$/)],
    ['lifetime too long', async () => mintToken(consumer, { name: 'e2e', ttlSeconds: 3600 }), 'lifetime_too_long', 'exp - iat is 3600 s; at most 1800 s is allowed'],
    ['unknown name', async () => mintToken(consumer, { name: 'nobody' }), 'invalid_signature', ''],
    ['wrong key', async () => mintToken(rsaKeyPair(2048, 'e2e-intruder'), { name: 'e2e' }), 'invalid_signature', ''],
  ])('%s → 401 {"error":"invalid_token","reason":"%s","detail":…}', async (_label, token, reason, detail) => {
    const result = await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await token())));
    expect(result.status).toBe(401);
    expect(result.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(result.json()).toEqual({ error: 'invalid_token', reason, detail });
  });

  it('writes one JSON access-log line per request with the deployed fields', async () => {
    const marker = await mintToken(consumer, { name: 'e2e', claims: { jti: 'access-log-marker' } });
    await httpsRequest(`${server.url}/whoami`, asDemo(bearer(marker)));
    await new Promise((r) => setTimeout(r, 100));
    const line = server.output().split('\n').find((l) => l.includes('"jti":"access-log-marker"') && l.includes('"responseLatency"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ status: 200, keyName: 'e2e', resourcePath: '/whoami', httpMethod: 'GET', clientCertSerial: expect.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/) });
    expect(server.output()).not.toContain(marker.split('.')[2]);
  });
});

describe('keygate serve: registration through the support certificate', () => {
  it('refuses the consumer certificate on /keys', async () => {
    const result = await httpsRequest(`${server.url}/keys`, asDemo());
    expect(result.status).toBe(403);
    expect(result.json()).toMatchObject({ error: 'forbidden' });
  });

  it('lists and shows keys to the support certificate; unknown routes answer like API Gateway', async () => {
    await register('listed', consumer.publicKeyPem);
    const list = await httpsRequest(`${server.url}/keys?limit=100`, asSupport());
    expect(list.status).toBe(200);
    expect(list.json<{ items: { name: string }[] }>().items.map((i) => i.name)).toContain('listed');
    const shown = await httpsRequest(`${server.url}/keys/listed`, asSupport());
    expect(shown.json()).toMatchObject({ name: 'listed', keys: [{ kid: consumer.kid, publicKeyPem: consumer.publicKeyPem, addedBy: expect.stringContaining('CN=support') }] });
    expect((await httpsRequest(`${server.url}/nope`, asSupport())).status).toBe(403);
  });

  it('a full rotation with the keygate keys CLI: add the new key, both work, remove the old, only the new works', async () => {
    const dir = server.cwd;
    const next = rsaKeyPair(2048, 'e2e-next');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'old.pem'), consumer.publicKeyPem);
    await writeFile(join(dir, 'new.pem'), next.publicKeyPem);
    const connection = ['--endpoint', server.url, '--cert', join(server.dataDir, 'support.pem'), '--key', join(server.dataDir, 'support.key'), '--ca', join(server.dataDir, 'ca/ca.pem')];
    const call = async (token: string) => (await httpsRequest(`${server.url}/whoami`, asDemo(bearer(token)))).status;

    expect((await keygate(['keys', 'add', 'rotating', '--public-key', join(dir, 'old.pem'), ...connection])).code).toBe(0);
    expect(await call(await mintToken(consumer, { name: 'rotating' }))).toBe(200);
    const added = await keygate(['keys', 'add', 'rotating', '--public-key', join(dir, 'new.pem'), ...connection]);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ outcome: 'added' });
    expect(await call(await mintToken(consumer, { name: 'rotating', kid: consumer.kid }))).toBe(200);
    expect(await call(await mintToken(next, { name: 'rotating', kid: next.kid }))).toBe(200);
    // A kid is base64url and may start with '-': after '--' it is never read as an option (1 in 64 kids).
    const removed = await keygate(['keys', 'remove', ...connection, '--', 'rotating', consumer.kid]);
    expect(removed.code).toBe(0);
    expect(await call(await mintToken(consumer, { name: 'rotating' }))).toBe(401);
    expect(await call(await mintToken(next, { name: 'rotating' }))).toBe(200);
    const last = await keygate(['keys', 'remove', ...connection, '--', 'rotating', next.kid]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^keygate: .*409 last_key/);
  });

  it('keygate keys revoke and restore', async () => {
    const connection = ['--endpoint', server.url, '--cert', join(server.dataDir, 'support.pem'), '--key', join(server.dataDir, 'support.key'), '--ca', join(server.dataDir, 'ca/ca.pem')];
    await register('revocable', consumer.publicKeyPem);
    expect((await keygate(['keys', 'revoke', 'revocable', ...connection])).code).toBe(0);
    expect((await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name: 'revocable' }))))).status).toBe(401);
    const restored = await keygate(['keys', 'restore', 'revocable', ...connection]);
    expect(restored.code).toBe(0);
    expect((await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name: 'revocable' }))))).status).toBe(200);
  });

  it('keygate keys refuses to talk to a server it cannot verify', async () => {
    const result = await keygate(['keys', 'list', '--endpoint', server.url, '--cert', join(server.dataDir, 'support.pem'), '--key', join(server.dataDir, 'support.key')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^keygate: cannot reach .*not trusted.*--ca/);
  });
});

describe('keygate serve: the API description', () => {
  const validate = openApiValidator();

  it('serves docs/openapi.json at GET /openapi.json to any client certificate of the dev CA, without a token', async () => {
    const result = await httpsRequest(`${server.url}/openapi.json`, asDemo());
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.json()).toEqual(OPENAPI_DOCUMENT);
  });

  it('what the gateway answers on its own validates against it: 401 with and without detail, 401 without a token, 200 from /whoami, 403 on /keys for another certificate', async () => {
    const name = 'openapi-e2e';
    expect((await register(name, consumer.publicKeyPem)).status).toBe(201);
    const now = Math.floor(Date.now() / 1000);
    const answers = [
      await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name })))),
      await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name, claims: { iat: now * 1000, exp: now * 1000 + 60_000 } })))),
      await httpsRequest(`${server.url}/whoami`, asDemo(bearer(await mintToken(consumer, { name: 'nobody' })))),
      await httpsRequest(`${server.url}/whoami`, asDemo()),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 401, 401]);
    for (const answer of answers) expect(validate('GET', '/whoami', answer.status, answer.json()), answer.body).toEqual([]);
    for (const path of ['/keys', '/keys/{name}', '/revocations']) {
      const forbidden = await httpsRequest(`${server.url}${path.replace('{name}', name)}`, asDemo());
      expect(forbidden.status).toBe(403);
      expect(validate('GET', path, forbidden.status, forbidden.json())).toEqual([]);
    }
    expect(validate('GET', '/whoami', 401, { ...(answers[1]?.json() as object), token: 'x' }), 'an undocumented field').not.toEqual([]);
  });
});

describe('keygate serve: access log', () => {
  it('one JSON line per request with exactly the deployed stage\'s fields', async () => {
    const token = await mintToken(consumer, { name: 'nobody' });
    const denied = await httpsRequest(`${server.url}/whoami`, asDemo(bearer(token)));
    expect(denied.status).toBe(401);
    const requestId = denied.headers['x-amzn-requestid'];
    const find = () => jsonLines(server.output()).find((l) => l['requestId'] === requestId);
    // The line is written after the response, and reaches us through a pipe.
    for (let tries = 0; !find() && tries < 50; tries++) await new Promise((r) => setTimeout(r, 50));
    const line = find();
    expect(line).toBeDefined();
    expect(Object.keys(line ?? {}).sort()).toEqual(Object.keys(ACCESS_LOG_FIELDS).sort());
    expect(line).toMatchObject({ httpMethod: 'GET', resourcePath: '/whoami', status: 401, reason: 'invalid_signature', errorType: 'ACCESS_DENIED', authorizerLatency: expect.any(Number), clientCertSubject: expect.stringContaining('CN=demo'), clientCertIssuer: expect.stringContaining('CN=keygate dev CA') });
  });
});

describe('keygate serve: the printed quick start works as printed', () => {
  it('keygen, keys add, token and curl, pasted in the clone where npm start runs, give a 200 from /whoami', async () => {
    // The real npx resolves `keygate` to this package's bin (dist/keygate.mjs); offline, so a
    // package of that name from the registry can never stand in for it.
    const fresh = await startServe({}, [], { cwd: ROOT });
    try {
      const printed = fresh.output();
      const lines = printed.split('\n').filter((l) => /^\s+(npx keygate|TOKEN=|curl )/.test(l) && !l.includes('explain')).map((l) => l.trim());
      expect(lines).toHaveLength(4);
      const script = ['set -e', ...lines.slice(0, 3), `${lines[3]} --silent --show-error --fail-with-body`].join('\n');
      const result = spawnSync('bash', ['-c', script], { cwd: fresh.cwd, env: { ...process.env, npm_config_offline: 'true' }, encoding: 'utf8', timeout: 90_000 });
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ keyName: 'demo', clientCertificate: { subjectDN: 'CN=demo,O=keygate local' } });
      expect(printed).not.toMatch(/ -k | --insecure/);
    } finally {
      expect(await stopServe(fresh)).toBe(0);
    }
  }, 120_000);
});
