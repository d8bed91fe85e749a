import { createHash, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BINDING_POLICIES, checkCertificateBinding, isBindingPolicy } from '../../../lambdas/core/certificate-binding.js';
import { readClientCertificate, type ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import {
  canonicalCertificateName,
  canonicalDistinguishedName,
  normalizeSerialNumber,
  revocationKey,
  revokedEntryKey,
  SERIAL_NUMBER_PATTERN,
} from '../../../lambdas/core/revocation.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../../cli/pki/x509.js';

let ca: CertifiedKey;
let acme: CertifiedKey;

beforeAll(async () => {
  ca = await createSelfSignedCa({ subject: 'C=GB, O=Example, CN=Facts CA' });
  acme = await issueCertificate({ issuer: ca, profile: 'client', subject: 'C=GB, O=Example, CN=acme, OU=Team', serialNumber: '00ab12' });
});

describe('readClientCertificate', () => {
  it('reads subject and issuer most specific first, the serial as stored, the RFC 8705 thumbprint and the CN', () => {
    const der = new X509Certificate(acme.certificatePem).raw;
    expect(readClientCertificate(acme.certificatePem)).toStrictEqual({
      subject: 'OU=Team,CN=acme,O=Example,C=GB',
      issuer: 'CN=Facts CA,O=Example,C=GB',
      issuerCanonical: 'C=GB,CN=Facts CA,O=Example',
      serialNumber: 'ab:12',
      thumbprintSha256: createHash('sha256').update(der).digest('base64url'),
      commonName: 'acme',
      // RFC 7469: SHA-256 of the DER SubjectPublicKeyInfo, here read back by the platform's own parser.
      spkiPinSha256: createHash('sha256').update(new X509Certificate(acme.certificatePem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64url'),
    });
  });

  it('a certificate without a CN has no common name', async () => {
    const nameless = await issueCertificate({ issuer: ca, profile: 'client', subject: 'O=Only Org' });
    expect(readClientCertificate(nameless.certificatePem)).toMatchObject({ subject: 'O=Only Org', commonName: undefined });
  });

  it('reads the CN attribute only, never "CN=" inside another attribute\'s value', async () => {
    const tricky = await issueCertificate({ issuer: ca, profile: 'client', subject: 'O=xCN=admin' });
    expect(new X509Certificate(tricky.certificatePem).subject).toBe('O=xCN=admin');
    expect(readClientCertificate(tricky.certificatePem).commonName).toBeUndefined();
  });

  it('a serial over 20 octets (RFC 5280 forbids them) is kept as node prints it, lower-cased: no revocation entry can match it', async () => {
    const serial = `01${'ab'.repeat(20)}`;
    const oversized = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=long serial', serialNumber: serial });
    expect(readClientCertificate(oversized.certificatePem).serialNumber).toBe(serial);
  });

  it('a CN of several words, kept whole', async () => {
    const spaced = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme payments eu' });
    expect(readClientCertificate(spaced.certificatePem).commonName).toBe('acme payments eu');
  });
});

describe('checkCertificateBinding: each mismatch and its sentence', () => {
  let facts: ClientCertificateFacts;
  beforeAll(() => {
    facts = readClientCertificate(acme.certificatePem);
  });
  const mismatch = (detail: string) => ({ ok: false, reason: 'client_certificate_mismatch', publicReason: 'client_certificate_mismatch', detail });

  it('the policies, by name', () => {
    expect(BINDING_POLICIES).toEqual(['none', 'subject', 'thumbprint']);
    for (const policy of BINDING_POLICIES) expect(isBindingPolicy(policy)).toBe(true);
    for (const other of ['None', '', 'subject ', 1, undefined, null, ['none']]) expect(isBindingPolicy(other)).toBe(false);
  });

  it('without a certificate, naming the binding', () => {
    expect(checkCertificateBinding('subject', 'acme', {}, undefined)).toEqual(mismatch('binding "subject" needs a client certificate and the request has none'));
    expect(checkCertificateBinding('thumbprint', 'acme', {}, undefined)).toEqual(mismatch('binding "thumbprint" needs a client certificate and the request has none'));
  });

  it('subject', () => {
    expect(checkCertificateBinding('subject', 'acme', {}, facts)).toBeUndefined();
    expect(checkCertificateBinding('subject', 'Acme', {}, facts)).toEqual(mismatch('the client certificate CN is not the key name'));
    expect(checkCertificateBinding('subject', 'acme', {}, { ...facts, commonName: undefined })).toEqual(mismatch('the client certificate CN is not the key name'));
  });

  it('thumbprint', () => {
    const needsCnf = mismatch('binding "thumbprint" needs a cnf claim with x5t#S256');
    expect(checkCertificateBinding('thumbprint', 'acme', { cnf: { 'x5t#S256': facts.thumbprintSha256 } }, facts)).toBeUndefined();
    expect(checkCertificateBinding('thumbprint', 'acme', { cnf: { 'x5t#S256': 'x' } }, facts)).toEqual(mismatch('cnf x5t#S256 is not the client certificate thumbprint'));
    for (const cnf of [undefined, null, 'x', [facts.thumbprintSha256], {}, { 'x5t#S256': 1 }, { x5t: facts.thumbprintSha256 }]) {
      expect(checkCertificateBinding('thumbprint', 'acme', cnf === undefined ? {} : ({ cnf } as never), facts), JSON.stringify(cnf)).toEqual(needsCnf);
    }
  });

  it('thumbprint does not look at the CN, subject does not look at cnf', () => {
    expect(checkCertificateBinding('thumbprint', 'someone-else', { cnf: { 'x5t#S256': facts.thumbprintSha256 } }, facts)).toBeUndefined();
    expect(checkCertificateBinding('subject', 'acme', { cnf: { 'x5t#S256': 'x' } }, facts)).toBeUndefined();
    expect(checkCertificateBinding('none', 'someone-else', { cnf: 'x' }, undefined)).toBeUndefined();
  });
});

describe('serial numbers', () => {
  it.each([
    ['AB:CD', 'ab:cd'],
    ['0a 1b', '0a:1b'],
    ['0a\t1b', '0a:1b'],
    ['000a', '0a'],
    ['0000', '00'],
    ['0', '00'],
    ['abc', '0a:bc'],
    ['0'.repeat(38) + '01', '01'],
    ['ff'.repeat(20), Array(20).fill('ff').join(':')],
    // A leading zero octet is no part of the value, even past 20 octets.
    [`00:${Array(20).fill('ff').join(':')}`, Array(20).fill('ff').join(':')],
    ['0a:00:1b', '0a:00:1b'],
    ['00:0a:00', '0a:00'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeSerialNumber(input)).toBe(expected);
  });

  it.each(['', ' : ', 'ff'.repeat(20) + 'f', `01${'00'.repeat(20)}`, 'g1', '0a:1g', '-1', '0a-1b'])('refuses %j', (input) => {
    expect(normalizeSerialNumber(input)).toBeUndefined();
  });

  it('the stored form: 1 to 20 lower-case octets', () => {
    for (const ok of ['00', 'ab:cd', Array(20).fill('0f').join(':')]) expect(SERIAL_NUMBER_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ['', 'a', 'AB', 'ab:', ':ab', 'abc', Array(21).fill('0f').join(':'), 'ab::cd']) expect(SERIAL_NUMBER_PATTERN.test(bad), bad).toBe(false);
  });
});

describe('distinguished names', () => {
  it.each([
    ['CN=a+O=b', 'CN=a,O=b'],
    ['/O=a\\/b/CN=x', 'CN=x,O=a/b'],
    ['2.5.4.3=x', '2.5.4.3=x'],
    ['C-N2=x', 'C-N2=x'],
    ['  CN  =  spaced value  ', 'CN=spaced value'],
    ['CN=a=b', 'CN=a=b'],
    ['CN=x,,O=y', 'CN=x,O=y'],
    ['CN=', 'CN='],
    [`CN=${'x'.repeat(1021)}`, `CN=${'x'.repeat(1021)}`],
    ['  /O=Example/CN=Dev CA  ', 'CN=Dev CA,O=Example'],
    ['CN=Dev CA, , O=Example', 'CN=Dev CA,O=Example'],
    ['1.2.840.113549.1.9.1=ops@example.com', '1.2.840.113549.1.9.1=ops@example.com'],
  ])('%s → %s', (dn, expected) => {
    expect(canonicalDistinguishedName(dn)).toBe(expected);
  });

  it.each([',', '/', '   ', '=x', '2=x', '1CN=x', '2.=x', '3.1=x', 'X.2.5=x', '2.5.4.3X=x', 'C N=x', 'CN=x,garbage', 'CN=x,N', `CN=${'x'.repeat(1022)}`])('refuses %j', (dn) => {
    expect(canonicalDistinguishedName(dn)).toBeUndefined();
  });

  it('a certificate name as node prints it, one attribute per line; kept as it is when it cannot be read', () => {
    expect(canonicalCertificateName('O=Example\nCN=Dev CA')).toBe('CN=Dev CA,O=Example');
    expect(canonicalCertificateName('not a name')).toBe('not a name');
  });

  it('revocation keys: the canonical issuer and the serial, joined by a NUL', () => {
    expect(revocationKey('CN=CA', '0a')).toBe('CN=CA\u00000a');
    expect(revokedEntryKey({ issuer: 'cn = CA, o = Example', serialNumber: '0a' })).toBe('CN=CA,O=Example\u00000a');
    expect(revokedEntryKey({ issuer: 'not a dn', serialNumber: '0a' })).toBe('not a dn\u00000a');
  });
});
