import { describe, expect, it } from 'vitest';
import { createCsr, generateKeys, x509, type KeySpec } from '../../../../cli/pki/x509.js';

describe('createCsr', () => {
  it.each<[string, KeySpec]>([
    ['RSA 2048', { kind: 'rsa', bits: 2048 }],
    ['EC P-256', { kind: 'ec', curve: 'P-256' }],
    ['EC P-384', { kind: 'ec', curve: 'P-384' }],
  ])('makes a CSR whose signature verifies (%s)', async (_label, spec) => {
    const keys = await generateKeys(spec);
    const csr = new x509.Pkcs10CertificateRequest(await createCsr(keys, 'CN=someone'));
    expect(csr.subject).toBe('CN=someone');
    expect(await csr.verify()).toBe(true);
    expect(Buffer.from(csr.publicKey.rawData).equals(keys.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
  });
});
