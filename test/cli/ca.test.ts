import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr, generateKeys, x509, type HashName, type KeySpec } from '../../cli/pki/x509.js';
import { buildCli, expectOneLineError, keygate, keygateProcess, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let caDir: string;

beforeAll(async () => {
  caDir = join(await tempDir(), 'ca');
  const result = await keygate(['ca', 'init', '--out', caDir, '--bits', '2048', '--name', 'Test Client CA']);
  if (result.code !== 0) throw new Error(result.stderr);
});

async function csrFile(subject: string, key: KeySpec = { kind: 'rsa', bits: 2048 }, hash: HashName = 'SHA-256'): Promise<{ path: string; publicKeyDer: Buffer }> {
  const keys = await generateKeys(key);
  const path = join(await tempDir(), 'request.csr');
  await writeFile(path, await createCsr(keys, subject, hash));
  return { path, publicKeyDer: keys.publicKey.export({ type: 'spki', format: 'der' }) };
}

async function index(): Promise<{ certificates: { serialNumber: string; subject: string }[] }> {
  return JSON.parse(await readFile(join(caDir, 'index.json'), 'utf8')) as { certificates: { serialNumber: string; subject: string }[] };
}

describe('keygate ca init', () => {
  it('writes to ~/.keygate/ca without --out, outside the working directory (no CA key lands in a repository)', async () => {
    // Prepare
    const home = await tempDir();
    const cwd = await tempDir();

    // Act
    const result = await keygateProcess(['ca', 'init', '--bits', '2048'], { cwd, env: { HOME: home } }); // a real process: its own working directory and HOME

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(join(home, '.keygate', 'ca', 'ca.key'))).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain(join(home, '.keygate', 'ca', 'ca.pem'));
    expect(await readdir(cwd)).toEqual([]);
  });

  it('creates ca.pem, ca.key (mode 0600) and an empty index; the CA issues end-entity certificates only', async () => {
    // Assess (the CA made in beforeAll)
    expect((await stat(join(caDir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(caDir)).mode & 0o777).toBe(0o700);
    const certificate = new x509.X509Certificate(await readFile(join(caDir, 'ca.pem'), 'utf8'));
    expect(certificate.subject).toBe('CN=Test Client CA');
    expect(certificate.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: 0 });
    const key = createPrivateKey(await readFile(join(caDir, 'ca.key'), 'utf8'));
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(Buffer.from(certificate.publicKey.rawData))).toBe(true);
    expect(await index()).toEqual({ version: 1, certificates: [] });
  });

  it('uses a 4096-bit key and 1825 days by default, showing progress', async () => {
    const dir = await tempDir();
    const result = await keygate(['ca', 'init', '--out', dir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^creating a CA with a 4096-bit RSA key… done \(\d+\.\d s\)\n$/);
    const certificate = new X509Certificate(await readFile(join(dir, 'ca.pem')));
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const days = (new Date(certificate.validTo).getTime() - new Date(certificate.validFrom).getTime()) / 86_400_000;
    expect(days).toBe(1825);
  });

  it('refuses to overwrite an existing CA', async () => {
    const before = await readFile(join(caDir, 'ca.key'), 'utf8');
    expectOneLineError(await keygate(['ca', 'init', '--out', caDir, '--bits', '2048']), 1, /ca\.pem already exists; refusing to overwrite it/);
    expect(await readFile(join(caDir, 'ca.key'), 'utf8')).toBe(before);
  });

  it.each([
    [['--bits', '1024'], /--bits <bits>.*expected 2048, 3072 or 4096/],
    [['--days', '0'], /--days <days>.*from 1 to 7300/],
    [['--name', ''], /--name <cn>.*1-64 characters/],
  ])('exits 2 for bad flags %j', async (flags, message) => {
    expectOneLineError(await keygate(['ca', 'init', '--out', await tempDir(), ...flags]), 2, message);
  });
});

describe('keygate ca sign', () => {
  it('issues a SHA-256 clientAuth certificate for the CSR key, subject CN only, and records it in the index', async () => {
    // Prepare
    const csr = await csrFile('CN=alice, O=Somebody Else');
    const out = join(await tempDir(), 'alice.pem');
    // Act
    const result = await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path, '--days', '30', '--out', out]);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const pem = await readFile(out, 'utf8');
    const certificate = new x509.X509Certificate(pem);
    const caCertificate = new X509Certificate(await readFile(join(caDir, 'ca.pem')));
    const node = new X509Certificate(pem);
    expect(certificate.subject).toBe('CN=alice');
    expect(node.checkIssued(caCertificate) && node.verify(caCertificate.publicKey)).toBe(true);
    expect(Buffer.from(certificate.publicKey.rawData).equals(csr.publicKeyDer)).toBe(true);
    expect(certificate.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(certificate.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(Math.round((certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 86_400_000)).toBe(30);
    expect((await index()).certificates).toContainEqual(expect.objectContaining({ serialNumber: certificate.serialNumber, subject: 'CN=alice' }));
    expect(result.stderr).toMatch(new RegExp(`^issued CN=alice \\(RSA 2048\\), serial ${certificate.serialNumber}, valid until `));
  });

  it('prints the certificate on stdout without --out', async () => {
    const csr = await csrFile('CN=bob');
    const result = await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path]);
    expect(result.code).toBe(0);
    expect(new X509Certificate(result.stdout).subject).toBe('CN=bob');
  });

  // An openssl CSR: the usual way users make one (cli/pki/x509.ts createCsr cannot make EC requests).
  it.skipIf(!hasOpenssl)('accepts an EC P-256 CSR made with openssl', async () => {
    const dir = await tempDir();
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-subj', '/CN=carol', '-out', join(dir, 'r.csr')], { stdio: 'ignore' });
    const result = await keygate(['ca', 'sign', '--ca', caDir, '--csr', join(dir, 'r.csr')]);
    expect(result.code).toBe(0);
    expect(new X509Certificate(result.stdout).subject).toBe('CN=carol');
    expect(result.stderr).toMatch(/\(EC P-256\)/);
  });

  it('refuses an RSA key under 2048 bits', async () => {
    const csr = await csrFile('CN=weak', { kind: 'rsa', bits: 1024 });
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path]), 1, /has a 1024-bit RSA key; at least 2048 bits are required/);
  });

  it('refuses a CSR signed with SHA-1', async () => {
    const csr = await csrFile('CN=old', { kind: 'rsa', bits: 2048 }, 'SHA-1');
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path]), 1, /is signed with SHA-1; SHA-256 or stronger is required/);
  });

  it.skipIf(!hasOpenssl)('refuses an EC key under 256 bits', async () => {
    const dir = await tempDir();
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime192v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-subj', '/CN=small', '-out', join(dir, 'r.csr')], { stdio: 'ignore' });
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', join(dir, 'r.csr')]), 1, /has an EC key on curve prime192v1; use P-256 or larger/);
  });

  it('refuses a CSR whose signature does not verify', async () => {
    // Prepare: change the subject after signing (alice → mallory would change lengths; flip one letter).
    const keys = await generateKeys({ kind: 'rsa', bits: 2048 });
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(await createCsr(keys, 'CN=alice')).rawData);
    const at = der.indexOf(Buffer.from('alice'));
    der.write('alicf', at);
    const path = join(await tempDir(), 'tampered.csr');
    await writeFile(path, x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'));
    // Act + Assess
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', path]), 1, /the signature of .*tampered\.csr does not verify/);
  });

  it.each([
    ['O=No Common Name', /must have exactly one CN \(the user id\); it has 0/],
    ['CN=alice bob', /the CN of .* must be 1-64 characters of A-Za-z0-9\._- .*got "alice bob"/],
    ['CN=.hidden', /the CN of .* must be 1-64 characters/],
  ])('refuses the subject %s', async (subject, message) => {
    const csr = await csrFile(subject);
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path]), 1, message);
  });

  it('refuses files that are not a CSR', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'cert.pem'), await readFile(join(caDir, 'ca.pem')));
    await writeFile(join(dir, 'key.pem'), (await generateKeys()).privateKeyPem);
    await writeFile(join(dir, 'garbage.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', join(dir, 'cert.pem')]), 1, /is not a PEM certificate request/);
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', join(dir, 'key.pem')]), 1, /contains a private key; send only the certificate request/);
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', join(dir, 'garbage.csr')]), 1, /is not a valid PKCS#10 certificate request/);
  });

  it('exits 1 for a missing CSR or CA directory', async () => {
    const csr = await csrFile('CN=alice');
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', '/nonexistent.csr']), 1, /cannot read --csr \/nonexistent\.csr: no such file/);
    expectOneLineError(await keygate(['ca', 'sign', '--ca', await tempDir(), '--csr', csr.path]), 1, /is not a keygate CA directory: ca\.pem is missing/);
  });

  it('refuses a validity beyond the CA, and an existing --out file', async () => {
    const csr = await csrFile('CN=alice');
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path, '--days', '3000']), 1, /would outlive the CA .*use --days \d+ or less/);
    const out = join(await tempDir(), 'taken.pem');
    await writeFile(out, 'keep');
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', csr.path, '--out', out]), 1, /taken\.pem already exists/);
    expect(await readFile(out, 'utf8')).toBe('keep');
  });

  it('exits 2 for bad flags', async () => {
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir]), 2, /required option '--csr <file>'/);
    expectOneLineError(await keygate(['ca', 'sign', '--ca', caDir, '--csr', 'x.csr', '--days', '-1']), 2, /--days <days>/);
  });
});
