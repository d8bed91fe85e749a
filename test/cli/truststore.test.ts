import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCa, distinguishedName, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { buildCli, expectOneLineError, keygate, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();

let root: CertifiedKey;
let client: CertifiedKey;

beforeAll(async () => {
  root = await createSelfSignedCa({ subject: distinguishedName('Root CA'), key: { kind: 'rsa', bits: 2048 }, days: 365 });
  client = await issueCertificate({ issuer: root, profile: 'client', subject: distinguishedName('alice'), key: { kind: 'rsa', bits: 2048 } });
});

async function pemFile(...pems: string[]): Promise<string> {
  const path = join(await tempDir(), 'truststore.pem');
  await writeFile(path, pems.join('\n'));
  return path;
}

describe('keygate truststore check', () => {
  it('prints a table and exits 0 for a valid truststore', async () => {
    const result = await keygate(['truststore', 'check', await pemFile(root.certificatePem)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/truststore\.pem: 1 certificate, \d+ bytes\n/);
    expect(result.stdout).toMatch(/^#\s+subject\s+key\s+signature\s+CA\s+depth\s+not after$/m);
    expect(result.stdout).toMatch(/^1\s+CN=Root CA\s+RSA 2048\s+SHA-256\s+yes\s+1\s+\d{4}-/m);
    expect(result.stdout).toMatch(/\nOK\n$/);
  });

  it('exits 1 and lists the errors of the shared checker (a client certificate is not a CA)', async () => {
    const result = await keygate(['truststore', 'check', await pemFile(root.certificatePem, client.certificatePem)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^error: +certificate #2 \(CN=alice\) is not a CA certificate/m);
    expect(result.stdout).toMatch(/FAILED: 1 error\n$/);
  });

  it('checks expiry at --now, warning before and failing after', async () => {
    const file = await pemFile(root.certificatePem);
    const soon = new Date(root.certificate.notAfter.getTime() - 10 * 86_400_000).toISOString();
    const later = new Date(root.certificate.notAfter.getTime() + 86_400_000).toISOString();
    const warned = await keygate(['truststore', 'check', file, '--now', soon]);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/^warning: .*expires in (9|10) days/m);
    const expired = await keygate(['truststore', 'check', file, '--now', later]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/^error: .*expired on/m);
  });

  it('prints the report as JSON with --json', async () => {
    const result = await keygate(['truststore', 'check', await pemFile(root.certificatePem), '--json']);
    const report = JSON.parse(result.stdout) as { certificates: { subject: string; isCa: boolean }[]; errors: string[] };
    expect(report.certificates).toMatchObject([{ subject: 'CN=Root CA', isCa: true }]);
    expect(report.errors).toEqual([]);
  });

  it('exits 1 for a file without certificates and for a missing file', async () => {
    const result = await keygate(['truststore', 'check', await pemFile('nothing here')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^error: .*empty/m);
    expectOneLineError(await keygate(['truststore', 'check', '/nonexistent.pem']), 1, /cannot read truststore \/nonexistent\.pem: no such file/);
  });

  it('exits 2 without a file', async () => {
    expectOneLineError(await keygate(['truststore', 'check']), 2, /missing required argument 'file'/);
  });
});
