import { beforeAll, describe, expect, it } from 'vitest';
import { checkCertificateBinding } from '../../../lambdas/core/certificate-binding.js';
import { readClientCertificate, type ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import { canonicalDistinguishedName, normalizeSerialNumber } from '../../../lambdas/core/revocation.js';
import { createSelfSignedCa, issueCertificate } from '../../../cli/pki/x509.js';

let acme: ClientCertificateFacts;
let other: ClientCertificateFacts;

beforeAll(async () => {
  const ca = await createSelfSignedCa({ subject: 'CN=Binding CA' });
  acme = readClientCertificate((await issueCertificate({ issuer: ca, profile: 'client', subject: 'O=Example, CN=acme' })).certificatePem);
  other = readClientCertificate((await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=someone-else' })).certificatePem);
});

const reason = (result: ReturnType<typeof checkCertificateBinding>) => result?.reason ?? 'ok';

describe('checkCertificateBinding', () => {
  it('none: any certificate, or none at all', () => {
    expect(reason(checkCertificateBinding('none', 'acme', {}, acme))).toBe('ok');
    expect(reason(checkCertificateBinding('none', 'acme', {}, undefined))).toBe('ok');
  });

  it('subject: the certificate CN must be the key name', () => {
    expect(reason(checkCertificateBinding('subject', 'acme', {}, acme))).toBe('ok');
    expect(checkCertificateBinding('subject', 'acme', {}, other)).toMatchObject({ reason: 'client_certificate_mismatch', publicReason: 'client_certificate_mismatch' });
    expect(reason(checkCertificateBinding('subject', 'acme', {}, undefined))).toBe('client_certificate_mismatch');
  });

  it('thumbprint: cnf x5t#S256 must be the SHA-256 of the certificate DER (RFC 8705)', () => {
    const cnf = (t: unknown) => ({ cnf: { 'x5t#S256': t } }) as never;
    expect(reason(checkCertificateBinding('thumbprint', 'acme', cnf(acme.thumbprintSha256), acme))).toBe('ok');
    expect(reason(checkCertificateBinding('thumbprint', 'acme', cnf(other.thumbprintSha256), acme))).toBe('client_certificate_mismatch');
    expect(reason(checkCertificateBinding('thumbprint', 'acme', {}, acme))).toBe('client_certificate_mismatch');
    expect(reason(checkCertificateBinding('thumbprint', 'acme', cnf(42), acme))).toBe('client_certificate_mismatch');
    expect(reason(checkCertificateBinding('thumbprint', 'acme', { cnf: [acme.thumbprintSha256] } as never, acme))).toBe('client_certificate_mismatch');
    expect(reason(checkCertificateBinding('thumbprint', 'acme', cnf(acme.thumbprintSha256), undefined))).toBe('client_certificate_mismatch');
  });

  it('reads the facts it needs from the PEM', () => {
    expect(acme).toMatchObject({ subject: 'CN=acme,O=Example', issuer: 'CN=Binding CA', commonName: 'acme' });
    expect(acme.thumbprintSha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(acme.serialNumber).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})*$/);
  });
});

describe('normalizeSerialNumber', () => {
  it.each([
    ['0A1B', '0a:1b'],
    ['0a:1b', '0a:1b'],
    ['00:0a:1b', '0a:1b'],
    ['a1b', '0a:1b'],
    ['00', '00'],
    [' 7F ', '7f'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeSerialNumber(input)).toBe(expected);
  });

  it.each(['', 'xyz', '0x12', '1'.repeat(41)])('refuses %j', (input) => {
    expect(normalizeSerialNumber(input)).toBeUndefined();
  });
});

describe('canonicalDistinguishedName (revocation entries match however staff type the issuer)', () => {
  const expected = 'CN=Dev CA,O=Example, Inc';
  it.each([
    'CN=Dev CA,O=Example\\, Inc',
    'CN=Dev CA, O=Example\\, Inc',
    'O=Example\\, Inc,CN=Dev CA',
    '/O=Example, Inc/CN=Dev CA',
    'O = Example\\, Inc, CN = Dev CA',
    'cn=Dev CA,o=Example\\, Inc',
  ])('%s', (dn) => {
    expect(canonicalDistinguishedName(dn)).toBe(expected);
  });

  it('matches the form read from a certificate', async () => {
    const ca = await createSelfSignedCa({ subject: 'O=Example\\, Inc, CN=Dev CA' });
    const client = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=x' });
    expect(readClientCertificate(client.certificatePem).issuerCanonical).toBe(expected);
  });

  it.each(['', 'not a dn', '=x', 'CN', 'C N=x'])('refuses %j', (dn) => {
    expect(canonicalDistinguishedName(dn)).toBeUndefined();
  });
});
