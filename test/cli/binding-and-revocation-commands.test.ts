import { createHash, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { createCsr, createSelfSignedCa, distinguishedName, generateKeys, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { buildCli, expectOneLineError, keygate, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();
const pair = rsaKeyPair(2048);

let dir: string;
let privateKeyFile: string;
let publicKeyFile: string;
let ca: CertifiedKey;
let acme: CertifiedKey;
let other: CertifiedKey;
let acmeFile: string;
let otherFile: string;

/** RFC 8705 x5t#S256, computed here independently of keygate: base64url(SHA-256(DER)). */
const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

beforeAll(async () => {
  dir = await tempDir();
  privateKeyFile = join(dir, 'private.pem');
  publicKeyFile = join(dir, 'public.pem');
  await writeFile(privateKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(publicKeyFile, pair.publicKeyPem);
  ca = await createSelfSignedCa({ subject: distinguishedName('Test CA'), key: { kind: 'rsa', bits: 2048 } });
  [acme, other] = await Promise.all([issueCertificate({ issuer: ca, profile: 'client', subject: distinguishedName('acme') }), issueCertificate({ issuer: ca, profile: 'client', subject: distinguishedName('other') })]);
  acmeFile = join(dir, 'acme.pem');
  otherFile = join(dir, 'other.pem');
  await writeFile(acmeFile, acme.certificatePem);
  await writeFile(otherFile, other.certificatePem);
});

describe('keygate token --cert', () => {
  it('adds cnf {"x5t#S256": base64url(SHA-256(DER))} of that certificate to a token that still verifies', async () => {
    const result = await keygate(['token', '--key', privateKeyFile, '--name', 'acme', '--cert', acmeFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const { payload } = await jwtVerify(result.stdout.trim(), pair.publicKey, { algorithms: ['RS512'] });
    expect(payload['cnf']).toEqual({ 'x5t#S256': thumbprint(acme.certificatePem) });
    expect(thumbprint(acme.certificatePem)).toMatch(/^[\w-]{43}$/);
    expect(payload.sub).toBe('ces:customer:acme');
  });

  it('has no cnf without --cert, and accepts a certificate file that also holds its key (the key is not printed)', async () => {
    expect(decodeJwt((await keygate(['token', '--key', privateKeyFile, '--name', 'acme'])).stdout.trim())).not.toHaveProperty('cnf');
    const bundle = join(await tempDir(), 'bundle.pem');
    await writeFile(bundle, `${acme.privateKeyPem}${acme.certificatePem}`, { mode: 0o600 });
    const result = await keygate(['token', '--key', privateKeyFile, '--name', 'acme', '--cert', bundle]);
    expect(result.code).toBe(0);
    expect(decodeJwt(result.stdout.trim())['cnf']).toEqual({ 'x5t#S256': thumbprint(acme.certificatePem) });
    expect(result.stdout + result.stderr).not.toContain('PRIVATE KEY');
  });

  it('warns when the certificate is not valid now, and still prints the token', async () => {
    const expired = await issueCertificate({ issuer: ca, profile: 'client', subject: distinguishedName('old'), notBefore: new Date('2020-01-01T00:00:00Z'), days: 30 });
    const file = join(await tempDir(), 'expired.pem');
    await writeFile(file, expired.certificatePem);
    const result = await keygate(['token', '--key', privateKeyFile, '--name', 'acme', '--cert', file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^keygate: warning: --cert .* is valid only from 2020-01-01T00:00:00.000Z/);
  });

  it('refuses a missing file, a file without a certificate and a file with several, with one line and exit 1', async () => {
    const args = ['token', '--key', privateKeyFile, '--name', 'acme', '--cert'];
    expectOneLineError(await keygate([...args, '/nonexistent.pem']), 1, /cannot read --cert \/nonexistent\.pem: no such file/);
    expectOneLineError(await keygate([...args, publicKeyFile]), 1, /--cert .*public\.pem is not a PEM certificate/);
    const chain = join(await tempDir(), 'chain.pem');
    await writeFile(chain, `${acme.certificatePem}${ca.certificatePem}`);
    expectOneLineError(await keygate([...args, chain]), 1, /holds 2 certificates; give the one client certificate/);
    const junk = join(await tempDir(), 'junk.pem');
    await writeFile(junk, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    expectOneLineError(await keygate([...args, junk]), 1, /is not a readable X\.509 certificate/);
  });
});

describe('keygate keys add --binding, keygate certs: usage errors (exit 2, nothing sent)', () => {
  const endpoint = ['--endpoint', 'https://127.0.0.1:1'];
  it.each([
    [['keys', 'add', 'acme', '--public-key', 'p.pem', '--binding', 'cn', ...endpoint], /--binding <policy>.*expected none, subject, thumbprint/],
    [['certs', 'revoke', ...endpoint], /give the certificate to revoke: --cert FILE, or --issuer DN --serial HEX/],
    [['certs', 'revoke', '--issuer', 'CN=x', ...endpoint], /--issuer and --serial go together/],
    [['certs', 'revoke', '--cert', 'a.pem', '--serial', '0a', '--issuer', 'CN=x', ...endpoint], /--cert FILE or --issuer DN --serial HEX, not both/],
    [['certs', 'revoke', '--issuer', 'CN=x', '--serial', 'xyz', ...endpoint], /--serial <hex>.*hex, e\.g\. 0a:1b:2c/],
    [['certs', 'revoke', '--issuer', 'keygate dev CA', '--serial', '0a', ...endpoint], /RFC 2253 distinguished name/],
    [['certs', 'revoke', '--issuer', 'CN=x', '--serial', '0a', '--reason', '', ...endpoint], /a reason is 1-256 characters/],
    [['certs', 'revoke', '--issuer', 'CN=x', '--serial', '0a'], /required option '--endpoint <url>'/],
    [['certs', 'list', '--endpoint', 'http://127.0.0.1:1'], /--endpoint must start with https:\/\//],
    [['certs', 'list', '--cert', 'a.pem', '--tls-cert', 'a.pem', '--key', 'k', ...endpoint], /give --tls-cert or --cert, not both/],
    [['certs', 'revoke', '--issuer', 'CN=x', '--serial', '0a', '--tls-cert', 'a.pem', ...endpoint], /client certificate and its private key go together/],
  ])('%j', async (args, message) => {
    expectOneLineError(await keygate(args), 2, message);
  });

  it('keygate keys keeps its connection options (a server it cannot reach is exit 1, one line)', async () => {
    expectOneLineError(await keygate(['keys', 'list', ...endpoint, '--auth', 'none']), 1, /cannot reach https:\/\/127\.0\.0\.1:1: connection refused/);
    expectOneLineError(await keygate(['certs', 'list', ...endpoint]), 1, /cannot reach https:\/\/127\.0\.0\.1:1: connection refused/);
  });
});

interface IndexFile {
  certificates: { serialNumber: string; subject: string; revokedAt?: string; revocationReason?: string }[];
}

describe('keygate ca revoke', () => {
  let caDir: string;
  let serial: string;
  let certificatePem: string;
  const readIndex = async () => JSON.parse(await readFile(join(caDir, 'index.json'), 'utf8')) as IndexFile;

  beforeAll(async () => {
    caDir = join(await tempDir(), 'ca');
    const init = await keygate(['ca', 'init', '--out', caDir, '--bits', '2048', '--name', "O'Brien CA"]);
    expect(init.code, init.stderr).toBe(0);
    const csr = join(caDir, '..', 'bob.csr');
    await writeFile(csr, await createCsr(await generateKeys(), distinguishedName('bob')));
    const signed = await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr, '--out', join(caDir, '..', 'bob.pem')]);
    expect(signed.code, signed.stderr).toBe(0);
    certificatePem = await readFile(join(caDir, '..', 'bob.pem'), 'utf8');
    serial = (await readIndex()).certificates[0]?.serialNumber as string;
  });

  it('refuses a serial the index does not list (exit 1) and leaves index.json as it was', async () => {
    const before = await readFile(join(caDir, 'index.json'), 'utf8');
    expectOneLineError(await keygate(['ca', 'revoke', '--ca', caDir, '--serial', '0badc0de']), 1, /index\.json lists no certificate with serial 0b:ad:c0:de/);
    expect(await readFile(join(caDir, 'index.json'), 'utf8')).toBe(before);
  });

  it.each([
    [['--serial', 'not-hex'], /--serial <hex>.*hex/],
    [['--serial', '0a', '--tls-cert', 'x.pem'], /used with --endpoint/],
    [[], /required option '--serial <hex>'/],
  ])('usage errors exit 2: %j', async (flags, message) => {
    expectOneLineError(await keygate(['ca', 'revoke', '--ca', caDir, ...flags]), 2, message);
  });

  it('refuses a directory that is not a CA (exit 1)', async () => {
    expectOneLineError(await keygate(['ca', 'revoke', '--ca', await tempDir(), '--serial', '0a']), 1, /is not a keygate CA directory: ca\.pem is missing/);
  });

  it('marks the certificate revoked in index.json (any serial spelling) and prints the certs revoke command with the exact issuer and serial', async () => {
    const spelled = (serial.match(/../g) ?? []).join(':').toUpperCase();
    const result = await keygate(['ca', 'revoke', '--ca', caDir, '--serial', spelled, '--reason', 'key compromise']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^keygate: marked CN=bob \(serial [0-9a-f:]+\) revoked in .*index\.json\n$/);
    const entry = (await readIndex()).certificates.find((c) => c.serialNumber === serial);
    expect(entry).toMatchObject({ revokedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), revocationReason: 'key compromise' });
    const facts = readClientCertificate(certificatePem);
    expect(facts.issuer).toBe("CN=O'Brien CA");
    expect(result.stdout).toContain(`keygate certs revoke --issuer 'CN=O'\\''Brien CA' --serial ${facts.serialNumber} --reason 'key compromise' --endpoint URL --tls-cert FILE --tls-key FILE`);
  });

  it('a second revoke keeps the first time and says so', async () => {
    const first = (await readIndex()).certificates[0]?.revokedAt;
    const result = await keygate(['ca', 'revoke', '--ca', caDir, '--serial', serial]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/was already marked revoked .* at /);
    expect((await readIndex()).certificates[0]?.revokedAt).toBe(first);
  });
});

describe('keygate explain --cert', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const bound = (pem: string, name = 'acme') => mintToken(pair, { name, nowSeconds: now(), claims: { cnf: { 'x5t#S256': thumbprint(pem) } } });

  it('shows whether cnf matches the certificate and says it cannot know the binding policy; the result is unchanged', async () => {
    const result = await keygate(['explain', await bound(other.certificatePem), '--public-key', publicKeyFile, '--cert', acmeFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^client certificate "CN=acme" \(issuer "CN=Test CA", serial [0-9a-f:]+\)$/m);
    expect(result.stdout).toMatch(/no {4}cnf x5t#S256 is the certificate's SHA-256 thumbprint +the token has "[\w-]{43}", the certificate is [\w-]{43} +\(binding thumbprint\)/);
    expect(result.stdout).toMatch(/yes {3}the certificate CN is the key name +CN "acme", key name "acme"/);
    expect(result.stdout).toContain('explain cannot know it');
    expect(result.stdout).toMatch(/^ {2}cnf +\{"x5t#S256":"[\w-]{43}"\} {2}\(checked only for names with binding thumbprint\)$/m);
    expect(result.stdout).toContain('result: ALLOWED');
    expect(result.stdout).toMatch(/^not checked here \(server state\): certificate_revoked, client_certificate_mismatch, replayed_token/m);
  });

  it('with --binding, the binding decides the result as in the authorizer', async () => {
    const token = await bound(acme.certificatePem);
    const allowed = await keygate(['explain', token, '--public-key', publicKeyFile, '--cert', acmeFile, '--binding', 'thumbprint']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/PASS {2}cnf x5t#S256/);
    const denied = await keygate(['explain', token, '--public-key', publicKeyFile, '--cert', otherFile, '--binding', 'thumbprint']);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/FAIL {2}cnf x5t#S256 .*\[client_certificate_mismatch\]/);
    expect(denied.stdout).toMatch(/^result: DENIED client_certificate_mismatch \(public reason: client_certificate_mismatch\)/m);
    const noCnf = await keygate(['explain', await mintToken(pair, { name: 'acme' }), '--cert', acmeFile, '--binding', 'thumbprint']);
    expect(noCnf.stdout).toMatch(/the token has no cnf x5t#S256 claim/);
    expect(noCnf.code).toBe(1);
    const subject = await keygate(['explain', await mintToken(pair, { name: 'other' }), '--public-key', publicKeyFile, '--cert', acmeFile, '--binding', 'subject']);
    expect(subject.code).toBe(1);
    expect(subject.stdout).toMatch(/^result: DENIED client_certificate_mismatch/m);
    expect((await keygate(['explain', await mintToken(pair, { name: 'other' }), '--cert', acmeFile, '--binding', 'none'])).code).toBe(0);
  });

  it('--json carries the certificate checks and the checks it cannot make', async () => {
    const result = await keygate(['explain', await bound(acme.certificatePem), '--cert', acmeFile, '--json']);
    const json = JSON.parse(result.stdout) as { certificate: { binding: null; thumbprintSha256: string; checks: { policy: string; matches: boolean }[] }; notChecked: { reason: string }[] };
    expect(json.certificate).toMatchObject({ binding: null, thumbprintSha256: thumbprint(acme.certificatePem), checks: [{ policy: 'thumbprint', matches: true }, { policy: 'subject', matches: true }] });
    expect(json.notChecked.map((c) => c.reason)).toEqual(['certificate_revoked', 'client_certificate_mismatch', 'replayed_token', 'key_expired', 'insufficient_scope']);
  });

  it('usage errors exit 2', async () => {
    const token = await bound(acme.certificatePem);
    expectOneLineError(await keygate(['explain', token, '--binding', 'thumbprint']), 2, /--binding thumbprint needs the client certificate: add --cert FILE/);
    expectOneLineError(await keygate(['explain', token, '--binding', 'x5t']), 2, /expected none, subject, thumbprint/);
  });

  it("prints the certificate's SPKI pin; with --pin, the pins decide as in the authorizer, with or without a key", async () => {
    const spkiPin = (pem: string) => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
    const token = await mintToken(pair, { name: 'acme' });
    const shown = await keygate(['explain', token, '--public-key', publicKeyFile, '--cert', acmeFile]);
    expect(shown.stdout).toContain(`pin   ${spkiPin(acme.certificatePem)}  (SHA-256 of its SubjectPublicKeyInfo`);
    const pinned = await keygate(['explain', token, '--public-key', publicKeyFile, '--cert', acmeFile, '--pin', spkiPin(other.certificatePem), '--pin', spkiPin(acme.certificatePem)]);
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(/PASS {2}the certificate's pin is one of --pin \(2 given\)$/m);
    for (const withKey of [true, false]) {
      const denied = await keygate(['explain', token, ...(withKey ? ['--public-key', publicKeyFile] : []), '--cert', otherFile, '--pin', spkiPin(acme.certificatePem)]);
      expect(denied.code).toBe(1);
      expect(denied.stdout).toMatch(/FAIL {2}the certificate's pin is one of --pin \(1 given\) \[client_certificate_mismatch\]/);
      expect(denied.stdout).toMatch(/^result: DENIED client_certificate_mismatch/m);
    }
    const json = JSON.parse((await keygate(['explain', token, '--cert', acmeFile, '--pin', spkiPin(acme.certificatePem), '--json'])).stdout) as { certificate: { spkiPinSha256: string; pins: unknown } };
    expect(json.certificate).toMatchObject({ spkiPinSha256: spkiPin(acme.certificatePem), pins: { listed: [spkiPin(acme.certificatePem)], matches: true } });
    expectOneLineError(await keygate(['explain', token, '--pin', spkiPin(acme.certificatePem)]), 2, /--pin needs the client certificate: add --cert FILE/);
    expectOneLineError(await keygate(['explain', token, '--cert', acmeFile, '--pin', 'short']), 2, /expected a SHA-256 SPKI pin/);
  });
});
