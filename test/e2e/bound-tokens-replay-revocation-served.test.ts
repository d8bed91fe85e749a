import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { loadCa } from '../../cli/pki/ca-store.js';
import { createCsr, distinguishedName, generateKeys, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { buildCli, CLI, keygate } from '../cli/setup.js';
import { httpsRequest } from '../helpers/https-client.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';

/**
 * Issue 9 end to end: one `keygate serve --replay-protection` with an uncached revocation list, real
 * client certificates from its dev CA, and the keygate CLI for keys, tokens and revocations.
 */
let server: Running;
let caPem: string;
let support: string[];
let dataDir: string;
const consumer = rsaKeyPair(2048, 'e2e-did-consumer');
let consumerPrivateKey: string;
let consumerPublicKey: string;

interface ClientCert {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
}
const certs = {} as Record<'demo' | 'alice' | 'bystander' | 'victim', ClientCert>;

beforeAll(async () => {
  await buildCli();
  server = await startServe({ KEYGATE_REVOCATION_CACHE_SECONDS: '0', KEYGATE_KEY_CACHE_SECONDS: '0', KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '0' }, ['--replay-protection'], { sharedPki: true });
  dataDir = server.dataDir;
  caPem = await readFile(join(dataDir, 'ca/ca.pem'), 'utf8');
  support = ['--endpoint', server.url, '--tls-cert', join(dataDir, 'support.pem'), '--tls-key', join(dataDir, 'support.key'), '--tls-ca', join(dataDir, 'ca/ca.pem')];
  consumerPrivateKey = join(server.cwd, 'consumer.key');
  consumerPublicKey = join(server.cwd, 'consumer.pub');
  await writeFile(consumerPrivateKey, consumer.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(consumerPublicKey, consumer.publicKeyPem);
  certs.demo = { cert: await readFile(join(dataDir, 'demo.pem'), 'utf8'), key: await readFile(join(dataDir, 'demo.key'), 'utf8'), certFile: join(dataDir, 'demo.pem') };
  const ca = await loadCa(join(dataDir, 'ca'), new Date());
  const issued = await Promise.all(['alice', 'bystander', 'victim'].map((cn) => issueCertificate({ issuer: ca, profile: 'client', subject: distinguishedName(cn, 'keygate local') })));
  for (const [i, cn] of (['alice', 'bystander', 'victim'] as const).entries()) {
    const certified = issued[i] as CertifiedKey;
    const certFile = join(server.cwd, `${cn}.pem`);
    await writeFile(certFile, certified.certificatePem);
    certs[cn] = { cert: certified.certificatePem, key: certified.privateKeyPem, certFile };
  }
}, 120_000);

afterAll(async () => {
  expect(await stopServe(server)).toBe(0);
});

async function addKey(name: string, binding?: string) {
  return keygate(['keys', 'add', name, '--public-key', consumerPublicKey, ...(binding ? ['--binding', binding] : []), ...support]);
}

/** GET /whoami with a client certificate and a token: status and public reason. */
async function call(client: { cert: string; key: string }, token: string): Promise<{ status: number; reason?: string }> {
  const result = await httpsRequest(`${server.url}/whoami`, { ca: caPem, cert: client.cert, key: client.key, headers: { authorization: `Bearer ${token}` } });
  return result.status === 200 ? { status: 200 } : { status: result.status, reason: result.json<{ reason?: string }>().reason };
}

async function cliToken(name: string, certFile?: string): Promise<string> {
  const result = await keygate(['token', '--key', consumerPrivateKey, '--name', name, ...(certFile ? ['--cert', certFile] : [])]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

const DENIED_MISMATCH = { status: 401, reason: 'client_certificate_mismatch' };
const DENIED_REVOKED = { status: 401, reason: 'certificate_revoked' };

describe('certificate-bound tokens through keygate serve', () => {
  beforeAll(async () => {
    for (const [name, binding] of [['alice', 'subject'], ['bound', 'thumbprint'], ['free', 'none']] as const) {
      const added = await addKey(name, binding);
      expect(added.code, added.stderr).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ name, binding, outcome: 'created' });
    }
  });

  it('binding subject: a certificate whose CN is the key name → 200; the demo certificate → 401 client_certificate_mismatch', async () => {
    expect(await call(certs.alice, await mintToken(consumer, { name: 'alice' }))).toEqual({ status: 200 });
    expect(await call(certs.demo, await mintToken(consumer, { name: 'alice' }))).toEqual(DENIED_MISMATCH);
  });

  it('binding thumbprint: keygate token --cert <the demo cert> → 200 with the demo cert; another thumbprint, another connection cert or no cnf → 401', async () => {
    expect(await call(certs.demo, await cliToken('bound', certs.demo.certFile))).toEqual({ status: 200 });
    expect(await call(certs.demo, await cliToken('bound', certs.alice.certFile))).toEqual(DENIED_MISMATCH);
    expect(await call(certs.alice, await cliToken('bound', certs.demo.certFile))).toEqual(DENIED_MISMATCH);
    expect(await call(certs.demo, await cliToken('bound'))).toEqual(DENIED_MISMATCH);
  });

  it('binding none: any certificate of the dev CA', async () => {
    for (const client of [certs.demo, certs.alice, certs.bystander]) expect(await call(client, await mintToken(consumer, { name: 'free' }))).toEqual({ status: 200 });
  });

  it('keygate keys add refuses to change the binding of an existing name (409 binding_mismatch, exit 1)', async () => {
    const result = await addKey('free', 'thumbprint');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^keygate: PUT \/keys\/free failed with 409 binding_mismatch/);
  });
});

describe('client-certificate revocation through keygate serve', () => {
  beforeAll(async () => {
    expect((await addKey('open', 'none')).code).toBe(0);
  });

  it('keygate certs revoke --cert: that certificate → 401 certificate_revoked at once; another certificate of the same CA → 200', async () => {
    expect(await call(certs.victim, await mintToken(consumer, { name: 'open' }))).toEqual({ status: 200 });
    const revoked = await keygate(['certs', 'revoke', '--cert', certs.victim.certFile, '--reason', 'laptop stolen', ...support]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const victim = readClientCertificate(certs.victim.cert);
    expect(JSON.parse(revoked.stdout)).toEqual({ outcome: 'added', issuer: victim.issuer, serialNumber: victim.serialNumber });

    expect(await call(certs.victim, await mintToken(consumer, { name: 'open' }))).toEqual(DENIED_REVOKED);
    expect(await call(certs.bystander, await mintToken(consumer, { name: 'open' }))).toEqual({ status: 200 });

    const again = await keygate(['certs', 'revoke', '--issuer', victim.issuer, '--serial', victim.serialNumber.replace(/:/g, '').toUpperCase(), ...support]);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'already_revoked', serialNumber: victim.serialNumber });
    const listed = await keygate(['certs', 'list', ...support]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).items).toContainEqual(expect.objectContaining({ issuer: victim.issuer, serialNumber: victim.serialNumber, reason: 'laptop stolen', revokedBy: expect.stringContaining('CN=support') }));
  });

  async function signWithDevCa(cn: string): Promise<{ cert: string; key: string; certFile: string; serial: string }> {
    const keys = await generateKeys();
    const csrFile = join(server.cwd, `${cn}.csr`);
    const certFile = join(server.cwd, `${cn}.pem`);
    await writeFile(csrFile, await createCsr(keys, distinguishedName(cn)));
    const signed = await keygate(['ca', 'sign', '--ca', join(dataDir, 'ca'), '--csr', csrFile, '--out', certFile]);
    expect(signed.code, signed.stderr).toBe(0);
    const cert = await readFile(certFile, 'utf8');
    return { cert, key: keys.privateKeyPem, certFile, serial: /serial ([0-9a-f]+)/.exec(signed.stderr)?.[1] as string };
  }

  it('keygate ca revoke --endpoint feeds the same list: the certificate is marked in index.json and denied', async () => {
    const carol = await signWithDevCa('carol');
    expect(await call(carol, await mintToken(consumer, { name: 'open' }))).toEqual({ status: 200 });

    const result = await keygate(['ca', 'revoke', '--ca', join(dataDir, 'ca'), '--serial', carol.serial, '--reason', 'left the company', ...support]);
    expect(result.code, result.stderr).toBe(0);
    const facts = readClientCertificate(carol.cert);
    expect(JSON.parse(result.stdout)).toEqual({ outcome: 'added', issuer: facts.issuer, serialNumber: facts.serialNumber });
    const index = JSON.parse(await readFile(join(dataDir, 'ca/index.json'), 'utf8')) as { certificates: { serialNumber: string; revokedAt?: string; revocationReason?: string }[] };
    expect(index.certificates.find((c) => c.serialNumber === carol.serial)).toMatchObject({ revokedAt: expect.any(String), revocationReason: 'left the company' });

    expect(await call(carol, await mintToken(consumer, { name: 'open' }))).toEqual(DENIED_REVOKED);
    expect(await call(certs.bystander, await mintToken(consumer, { name: 'open' }))).toEqual({ status: 200 });
  });

  it('keygate ca revoke without --endpoint prints the keygate certs revoke command, which works as printed', async () => {
    const dave = await signWithDevCa('dave');
    const offline = await keygate(['ca', 'revoke', '--ca', join(dataDir, 'ca'), '--serial', dave.serial]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(await call(dave, await mintToken(consumer, { name: 'open' }))).toEqual({ status: 200 });

    const printed = offline.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('keygate certs revoke ')) as string;
    expect(printed).toMatch(/ --endpoint URL --tls-cert FILE --tls-key FILE$/);
    const command = printed.replace(/ --endpoint URL --tls-cert FILE --tls-key FILE$/, '').replace(/^keygate /, '');
    const run = spawnSync('bash', ['-c', `node ${JSON.stringify(CLI)} ${command} "$@"`, 'bash', ...support], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(await call(dave, await mintToken(consumer, { name: 'open' }))).toEqual(DENIED_REVOKED);
  });
});

describe('a revoked support certificate', () => {
  it('loses /keys at once, like a consumer certificate loses the API', async () => {
    const ca = await loadCa(join(dataDir, 'ca'), new Date());
    const spare = await issueCertificate({ issuer: ca, profile: 'client', subject: distinguishedName('support', 'keygate local') });
    const asSpare = { ca: caPem, cert: spare.certificatePem, key: spare.privateKeyPem };
    expect((await httpsRequest(`${server.url}/keys`, asSpare)).status).toBe(200);
    const facts = readClientCertificate(spare.certificatePem);
    const revoked = await keygate(['certs', 'revoke', '--issuer', facts.issuer, '--serial', facts.serialNumber, ...support]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await httpsRequest(`${server.url}/keys`, asSpare)).status).toBe(403);
    expect((await httpsRequest(`${server.url}/keys`, { ca: caPem, cert: await readFile(join(dataDir, 'support.pem'), 'utf8'), key: await readFile(join(dataDir, 'support.key'), 'utf8') })).status).toBe(200);
  });
});

describe('replay protection through keygate serve --replay-protection', () => {
  it('the same token twice → 200 then 401 replayed_token; a fresh token → 200', async () => {
    expect((await addKey('replay')).code).toBe(0);
    const token = await cliToken('replay');
    expect(await call(certs.demo, token)).toEqual({ status: 200 });
    expect(await call(certs.demo, token)).toEqual({ status: 401, reason: 'replayed_token' });
    expect(await call(certs.demo, await cliToken('replay'))).toEqual({ status: 200 });
  });
});
