import { describe, expect, it, beforeAll } from 'vitest';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import { assertValidTruststore, checkTruststore, MAX_TRUSTSTORE_BYTES, TruststoreError } from '../../lib/truststore/check-truststore.js';
import { caChain } from './support.js';

const DAY = 86_400_000;

describe('checkTruststore', () => {
  let root: CertifiedKey;
  let intermediate: CertifiedKey;

  beforeAll(async () => {
    root = await createSelfSignedCa({ subject: 'CN=Good Root, O=Test' });
    intermediate = await issueCertificate({ issuer: root, profile: 'intermediate-ca', subject: 'CN=Good Issuing CA, O=Test' });
  });

  it('accepts a root and its intermediate and describes both', () => {
    // Act
    const report = checkTruststore(root.certificatePem + intermediate.certificatePem);

    // Assess
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.certificates).toMatchObject([
      { index: 1, subject: 'CN=Good Root, O=Test', issuer: 'CN=Good Root, O=Test', keyType: 'rsa', keyBits: 2048, signatureHash: 'SHA-256', isCa: true, depth: 1 },
      { index: 2, subject: 'CN=Good Issuing CA, O=Test', issuer: 'CN=Good Root, O=Test', isCa: true, depth: 2 },
    ]);
    expect(report.sizeBytes).toBe(Buffer.byteLength(root.certificatePem + intermediate.certificatePem));
  });

  it('accepts ECDSA P-256 and P-384 CAs and reports the curve size', async () => {
    const p256 = await createSelfSignedCa({ subject: 'CN=EC 256', key: { kind: 'ec', curve: 'P-256' } });
    const p384 = await createSelfSignedCa({ subject: 'CN=EC 384', key: { kind: 'ec', curve: 'P-384' }, hash: 'SHA-384' });

    const report = checkTruststore(p256.certificatePem + p384.certificatePem);

    expect(report.errors).toEqual([]);
    expect(report.certificates.map((c) => [c.keyType, c.keyBits, c.signatureHash])).toEqual([
      ['ec', 256, 'SHA-256'],
      ['ec', 384, 'SHA-384'],
    ]);
  });

  it('fails when the truststore is empty', () => {
    expect(checkTruststore('').errors).toEqual([expect.stringContaining('the truststore is empty')]);
    expect(checkTruststore('just some text\n').errors).toEqual([expect.stringContaining('the truststore is empty')]);
  });

  it('fails when a certificate has expired, naming its index and subject', async () => {
    const expired = await createSelfSignedCa({ subject: 'CN=Old CA', notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY) });

    const report = checkTruststore(root.certificatePem + expired.certificatePem);

    expect(report.errors).toEqual([expect.stringMatching(/^certificate #2 \(CN=Old CA\) expired on \d{4}-/)]);
  });

  it('fails when a certificate is not valid yet', async () => {
    const future = await createSelfSignedCa({ subject: 'CN=Future CA', notBefore: new Date(Date.now() + 10 * DAY), days: 365 });

    expect(checkTruststore(future.certificatePem).errors).toEqual([expect.stringContaining('certificate #1 (CN=Future CA) is not valid before')]);
  });

  it('warns when a certificate expires within 30 days, and uses the given time', async () => {
    const soon = await createSelfSignedCa({ subject: 'CN=Soon CA', notAfter: new Date(Date.now() + 10 * DAY) });

    const report = checkTruststore(soon.certificatePem);
    const later = checkTruststore(soon.certificatePem, { now: new Date(Date.now() + 11 * DAY) });

    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([expect.stringMatching(/^certificate #1 \(CN=Soon CA\) expires in (9|10) days/)]);
    expect(later.errors).toEqual([expect.stringContaining('certificate #1 (CN=Soon CA) expired')]);
  });

  it('fails when a certificate is not a CA', async () => {
    const leaf = await issueCertificate({ issuer: root, profile: 'client', subject: 'CN=client-1' });
    const selfSignedLeaf = await createSelfSignedCa({ subject: 'CN=Not A CA', isCa: false });

    const report = checkTruststore(root.certificatePem + leaf.certificatePem + selfSignedLeaf.certificatePem);

    expect(report.errors).toEqual([
      expect.stringContaining('certificate #2 (CN=client-1) is not a CA certificate'),
      expect.stringContaining('certificate #3 (CN=Not A CA) is not a CA certificate'),
    ]);
    expect(report.certificates.map((c) => c.isCa)).toEqual([true, false, false]);
  });

  it('fails when an RSA key is shorter than 2048 bits', async () => {
    const weak = await createSelfSignedCa({ subject: 'CN=Weak CA', key: { kind: 'rsa', bits: 1024 } });

    expect(checkTruststore(weak.certificatePem).errors).toEqual([expect.stringContaining('certificate #1 (CN=Weak CA) has a 1024-bit RSA key')]);
  });

  it('fails when a certificate is signed with SHA-1', async () => {
    const sha1 = await createSelfSignedCa({ subject: 'CN=SHA1 CA', hash: 'SHA-1' });
    const sha1Intermediate = await issueCertificate({ issuer: root, profile: 'intermediate-ca', subject: 'CN=SHA1 Issuing CA', hash: 'SHA-1' });

    const report = checkTruststore(sha1.certificatePem + root.certificatePem + sha1Intermediate.certificatePem);

    expect(report.errors).toEqual([
      expect.stringContaining('certificate #1 (CN=SHA1 CA) is signed with SHA-1'),
      expect.stringContaining('certificate #3 (CN=SHA1 Issuing CA) is signed with SHA-1'),
    ]);
  });

  it('accepts a chain four deep and fails at five', async () => {
    const chain = await caChain(5);
    const pem = (certs: CertifiedKey[]) => certs.map((c) => c.certificatePem).join('');

    const four = checkTruststore(pem(chain.slice(0, 4)));
    // Order in the file does not matter: the deepest CA comes first here.
    const five = checkTruststore(pem([...chain].reverse()));

    expect(four.errors).toEqual([]);
    expect(four.certificates.map((c) => c.depth)).toEqual([1, 2, 3, 4]);
    expect(five.errors).toEqual([expect.stringContaining('certificate #1 (CN=Level 5 CA) is 5 certificates deep in its chain; API Gateway supports at most 4')]);
  });

  it('fails when the file contains a private key, without echoing it', () => {
    const report = checkTruststore(root.certificatePem + root.privateKeyPem);

    expect(report.errors).toEqual([expect.stringContaining('block #2 is a PRIVATE KEY')]);
    expect(report.errors.join()).not.toContain(root.privateKeyPem.split('\n')[1]);
  });

  it('fails on other PEM blocks', () => {
    const csrLike = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
    const garbage = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n';

    const report = checkTruststore(root.certificatePem + csrLike + garbage);

    expect(report.errors).toEqual([
      expect.stringContaining('block #2 is a CERTIFICATE REQUEST, not a CERTIFICATE'),
      expect.stringContaining('block #3 is not a readable X.509 certificate'),
    ]);
  });

  it('fails when the truststore is larger than 1 MB', () => {
    const padding = '#'.repeat(MAX_TRUSTSTORE_BYTES);

    expect(checkTruststore(root.certificatePem + padding).errors).toEqual([expect.stringContaining('API Gateway accepts at most 1048576 bytes')]);
  });

  it('warns about an intermediate whose issuer is missing and about duplicates', () => {
    const report = checkTruststore(intermediate.certificatePem + intermediate.certificatePem);

    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([
      expect.stringContaining('certificate #1 (CN=Good Issuing CA, O=Test) was issued by CN=Good Root, O=Test, which is not in the truststore'),
      expect.stringContaining('certificate #2 (CN=Good Issuing CA, O=Test) was issued by'),
      expect.stringContaining('certificate #2 (CN=Good Issuing CA, O=Test) appears more than once'),
    ]);
  });

  it('assertValidTruststore throws every error on one line', async () => {
    const weak = await createSelfSignedCa({ subject: 'CN=Weak SHA1', key: { kind: 'rsa', bits: 1024 }, hash: 'SHA-1' });

    const attempt = () => assertValidTruststore(weak.certificatePem);

    expect(attempt).toThrow(TruststoreError);
    expect(attempt).toThrow(/^the truststore is not usable: certificate #1 \(CN=Weak SHA1\) has a 1024-bit RSA key.*; certificate #1 \(CN=Weak SHA1\) is signed with SHA-1/);
    expect(() => assertValidTruststore(root.certificatePem)).not.toThrow();
  });
});
