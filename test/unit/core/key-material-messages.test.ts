import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { importStoredJwk, KeyMaterialError, MAX_PUBLIC_KEY_INPUT_CHARS, parsePublicKeyInput, rsaJwkThumbprint } from '../../../lambdas/core/key-material.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../../cli/pki/x509.js';
import { rsaKeyPair } from '../../helpers/keys.js';
import { rsaPublicKeyPemOfBits } from '../../helpers/odd-keys.js';

// Every message here is sent to whoever registers a key (400 body) and printed by the CLI: each one
// is part of the contract, asserted word for word with its code.
const b64 = (text: string) => Buffer.from(text).toString('base64');
const pemOf = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
const pair = rsaKeyPair(2048);
const spkiDer = pair.publicKey.export({ type: 'spki', format: 'der' });
const pkcs1Der = pair.publicKey.export({ type: 'pkcs1', format: 'der' });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const PRIVATE_UNDER_PUBLIC_LABEL = 'a private key was sent under a public-key label; send only the public key and keep the private key secret';

async function refusal(input: string, options?: Parameters<typeof parsePublicKeyInput>[1]): Promise<{ code: string; message: string; name: string }> {
  try {
    await parsePublicKeyInput(input, options);
  } catch (error) {
    if (error instanceof KeyMaterialError) return { code: error.code, message: error.message, name: error.name };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parsePublicKeyInput: each refusal, its code and its sentence', () => {
  it.each([
    ['empty input', () => ' \n ', 'empty_input', 'publicKey is empty'],
    ['neither PEM nor base64', () => 'hello world', 'not_pem', 'publicKey is neither a PEM block nor base64 of one'],
    ['base64 of something else', () => b64('hello world, no key here'), 'invalid_base64', 'publicKey decodes from base64 but is not a PEM block'],
    ['base64 twice', () => b64(b64(pair.publicKeyPem)), 'double_encoded', 'publicKey is base64-encoded more than once; encode the PEM once at most'],
    ['a private key', () => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'private_key_not_accepted', 'a private key was sent; send only the public key and keep the private key secret'],
    ['two blocks', () => pair.publicKeyPem + pair.publicKeyPem, 'multiple_pem_blocks', 'send exactly one PEM block'],
    ['text before', () => `key: ${pair.publicKeyPem}`, 'text_around_pem', 'the PEM block must stand alone, with no text before or after it'],
    ['text after', () => `${pair.publicKeyPem.trim()} thanks`, 'text_around_pem', 'the PEM block must stand alone, with no text before or after it'],
    ['no END line', () => pair.publicKeyPem.replace(/-----END PUBLIC KEY-----\n$/, ''), 'text_around_pem', 'the PEM block must stand alone, with no text before or after it'],
    ['END label not the BEGIN label', () => pair.publicKeyPem.replace('END PUBLIC KEY', 'END RSA PUBLIC KEY'), 'invalid_key_encoding', 'the PEM block is malformed'],
    ['a character outside base64 in the body', () => pair.publicKeyPem.replace(/\n(.)/, '\n!$1'), 'invalid_key_encoding', 'the PEM block is malformed'],
    ['an empty body', () => '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----', 'invalid_key_encoding', 'the PEM block is malformed'],
    ['a body that is not valid base64', () => '-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----', 'invalid_key_encoding', 'the PEM body is not valid base64'],
    ['an unknown label', () => pemOf('SOMETHING ELSE', spkiDer), 'unsupported_pem_type', 'PEM type "SOMETHING ELSE" is not accepted; send a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE'],
    ['PKCS#8 private DER under PUBLIC KEY', () => pemOf('PUBLIC KEY', pair.privateKey.export({ type: 'pkcs8', format: 'der' })), 'private_key_not_accepted', PRIVATE_UNDER_PUBLIC_LABEL],
    ['PKCS#1 private DER under RSA PUBLIC KEY', () => pemOf('RSA PUBLIC KEY', pair.privateKey.export({ type: 'pkcs1', format: 'der' })), 'private_key_not_accepted', PRIVATE_UNDER_PUBLIC_LABEL],
    ['SEC1 EC private DER under PUBLIC KEY', () => pemOf('PUBLIC KEY', ec.privateKey.export({ type: 'sec1', format: 'der' })), 'private_key_not_accepted', PRIVATE_UNDER_PUBLIC_LABEL],
    ['PKCS#1 DER under PUBLIC KEY', () => pemOf('PUBLIC KEY', pkcs1Der), 'invalid_key_encoding', 'the PUBLIC KEY block does not hold a valid key'],
    ['SPKI DER under RSA PUBLIC KEY', () => pemOf('RSA PUBLIC KEY', spkiDer), 'invalid_key_encoding', 'the RSA PUBLIC KEY block does not hold a valid key'],
    ['SPKI with trailing bytes', () => pemOf('PUBLIC KEY', Buffer.concat([spkiDer, Buffer.from([0, 0])])), 'invalid_key_encoding', 'the key encoding is not canonical DER or has trailing data'],
    ['PKCS#1 with trailing bytes', () => pemOf('RSA PUBLIC KEY', Buffer.concat([pkcs1Der, Buffer.from([0, 0])])), 'invalid_key_encoding', 'the key encoding is not canonical DER or has trailing data'],
    ['an EC key', () => ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_key_type', 'a ec key was sent; only RSA keys are accepted'],
    ['an Ed25519 key', () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_key_type', 'a ed25519 key was sent; only RSA keys are accepted'],
    ['e = 3', () => generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_exponent', 'the public exponent must be 65537'],
    ['1024 bits', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'key_too_small', 'the key has 1024 bits; at least 2048 are required'],
    ['6144 bits', () => rsaPublicKeyPemOfBits(6144), 'key_too_large', 'the key has 6144 bits; at most 4096 are accepted'],
    ['random bytes under CERTIFICATE', () => pemOf('CERTIFICATE', spkiDer), 'invalid_key_encoding', 'the CERTIFICATE block does not hold a valid certificate'],
  ])('%s', async (_label, make, code, message) => {
    expect(await refusal(make())).toEqual({ code, message, name: 'KeyMaterialError' });
  });

  it(`input over ${MAX_PUBLIC_KEY_INPUT_CHARS} characters is refused before anything else; exactly that many is read`, async () => {
    expect(MAX_PUBLIC_KEY_INPUT_CHARS).toBe(12 * 1024);
    expect(await refusal('A'.repeat(12 * 1024 + 1))).toEqual({ code: 'input_too_large', message: 'public key input is over 12288 characters', name: 'KeyMaterialError' });
    expect(await refusal('A'.repeat(12 * 1024))).toMatchObject({ code: 'invalid_base64' });
    expect(await refusal(`${' '.repeat(12 * 1024 - pair.publicKeyPem.length)}${pair.publicKeyPem}`).catch(() => 'accepted')).toBe('accepted');
  });

  it('the configured limits appear in the sentences; each bound is inclusive', async () => {
    const key3072 = rsaPublicKeyPemOfBits(3072);
    expect(await refusal(key3072, { limits: { minBits: 4096, maxBits: 8192 } })).toMatchObject({ code: 'key_too_small', message: 'the key has 3072 bits; at least 4096 are required' });
    expect(await refusal(key3072, { limits: { minBits: 2048, maxBits: 3071 } })).toMatchObject({ code: 'key_too_large', message: 'the key has 3072 bits; at most 3071 are accepted' });
    await expect(parsePublicKeyInput(key3072, { limits: { minBits: 3072, maxBits: 3072 } })).resolves.toMatchObject({ bits: 3072 });
  });
});

describe('parsePublicKeyInput: what it returns', () => {
  it('an SPKI PEM: the JWK, its thumbprint, bits, the key as SPKI PEM and where it came from', async () => {
    expect(await parsePublicKeyInput(pair.publicKeyPem)).toEqual({ jwk: pair.jwk, kid: pair.kid, bits: 2048, publicKeyPem: pair.publicKeyPem, source: 'spki' });
  });

  it('a PKCS#1 PEM gives the same key as SPKI', async () => {
    expect(await parsePublicKeyInput(pemOf('RSA PUBLIC KEY', pkcs1Der))).toEqual({ jwk: pair.jwk, kid: pair.kid, bits: 2048, publicKeyPem: pair.publicKeyPem, source: 'pkcs1' });
  });

  it('base64 of a PEM with blank lines around it', async () => {
    expect(await parsePublicKeyInput(b64(`\n\n${pair.publicKeyPem}\n\n`))).toMatchObject({ kid: pair.kid, source: 'spki' });
  });
});

describe('certificates', () => {
  let ca: CertifiedKey;
  let current: CertifiedKey;
  let validFrom: Date;
  let validTo: Date;

  beforeAll(async () => {
    ca = await createSelfSignedCa({ subject: 'CN=Key CA' });
    current = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') });
    const parsed = new X509Certificate(current.certificatePem);
    validFrom = new Date(parsed.validFrom);
    validTo = new Date(parsed.validTo);
  });

  it('is accepted from its first to its last second of validity, with the key it holds', async () => {
    const kid = rsaJwkThumbprint(current.publicKey.export({ format: 'jwk' }) as { n: string; e: string });
    const publicKeyPem = current.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(parsePublicKeyInput(current.certificatePem, { now: validFrom })).resolves.toMatchObject({ kid, bits: 2048, source: 'certificate', publicKeyPem });
    await expect(parsePublicKeyInput(current.certificatePem, { now: validTo })).resolves.toMatchObject({ kid });
  });

  it('refused a second before and a second after, with the dates and the way out', async () => {
    const hint = 'send its public key instead, which is accepted whatever the certificate dates: openssl x509 -pubkey -noout -in <certificate file> prints it as a PUBLIC KEY PEM';
    expect(await refusal(current.certificatePem, { now: new Date(validFrom.getTime() - 1000) })).toEqual({
      code: 'certificate_not_yet_valid',
      message: `the certificate is valid only from Jan  1 00:00:00 2026 GMT; ${hint}`,
      name: 'KeyMaterialError',
    });
    expect(await refusal(current.certificatePem, { now: new Date(validTo.getTime() + 1000) })).toEqual({
      code: 'certificate_expired',
      message: `the certificate expired on Jan  1 00:00:00 2027 GMT; ${hint}`,
      name: 'KeyMaterialError',
    });
  });

  it('with trailing data: refused', async () => {
    const der = Buffer.from(current.certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    expect(await refusal(pemOf('CERTIFICATE', Buffer.concat([der, Buffer.from([0, 0])])), { now: validFrom })).toEqual({ code: 'invalid_key_encoding', message: 'the certificate has trailing data', name: 'KeyMaterialError' });
  });

  it('holding an EC key: refused, naming the key type', async () => {
    const ecCertificate = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=ec', key: { kind: 'ec', curve: 'P-256' } });
    expect(await refusal(ecCertificate.certificatePem)).toEqual({ code: 'unsupported_key_type', message: 'the certificate holds a ec key; only RSA keys are accepted', name: 'KeyMaterialError' });
  });
});

describe('importStoredJwk: each refusal, its code and its sentence', () => {
  const limits = { minBits: 2048, maxBits: 4096 };
  const NOT_RSA = 'the stored key is not an RSA JWK';
  const NOT_CANONICAL = 'the stored JWK lacks a canonical base64url n or e';
  const refusalOf = (jwk: unknown, kid = pair.kid, withLimits = limits) => {
    try {
      importStoredJwk(jwk, kid, withLimits);
    } catch (error) {
      if (error instanceof KeyMaterialError) return { code: error.code, message: error.message };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it.each([
    ['null', null, 'unsupported_key_type', NOT_RSA],
    ['a string', 'RSA', 'unsupported_key_type', NOT_RSA],
    ['an EC JWK', { kty: 'EC', n: pair.jwk.n, e: pair.jwk.e }, 'unsupported_key_type', NOT_RSA],
    ['no kty', { n: pair.jwk.n, e: pair.jwk.e }, 'unsupported_key_type', NOT_RSA],
    ['n not a string', { kty: 'RSA', n: 5, e: pair.jwk.e }, 'invalid_key_encoding', NOT_CANONICAL],
    ['e not a string', { kty: 'RSA', n: pair.jwk.n, e: 65537 }, 'invalid_key_encoding', NOT_CANONICAL],
    ['no e', { kty: 'RSA', n: pair.jwk.n }, 'invalid_key_encoding', NOT_CANONICAL],
    ['e with padding', { kty: 'RSA', n: pair.jwk.n, e: 'AQAB=' }, 'invalid_key_encoding', NOT_CANONICAL],
    ['e with a leading space', { kty: 'RSA', n: pair.jwk.n, e: ' AQAB' }, 'invalid_key_encoding', NOT_CANONICAL],
    ['n in standard base64', { kty: 'RSA', n: `+${pair.jwk.n.slice(1)}`, e: pair.jwk.e }, 'invalid_key_encoding', NOT_CANONICAL],
    ['n with a leading =', { kty: 'RSA', n: `=${pair.jwk.n}`, e: pair.jwk.e }, 'invalid_key_encoding', NOT_CANONICAL],
    ['an empty n', { kty: 'RSA', n: '', e: pair.jwk.e }, 'invalid_key_encoding', NOT_CANONICAL],
    ['a private member (d)', { ...pair.jwk, d: 'AQAB' }, 'invalid_key_encoding', 'the stored JWK has members other than kty, n and e'],
    ['an n longer than any stored key', { kty: 'RSA', n: 'A'.repeat(2049), e: pair.jwk.e }, 'invalid_key_encoding', NOT_CANONICAL],
    ['e = 3', { kty: 'RSA', n: pair.jwk.n, e: 'Aw' }, 'unsupported_exponent', 'the public exponent must be 65537'],
    ['a kid that is not its thumbprint', pair.jwk, 'kid_mismatch', 'the stored kid is not the thumbprint of the stored key'],
  ])('%s', (_label, jwk, code, message) => {
    expect(refusalOf(jwk, _label.startsWith('a kid') ? 'someone-else' : pair.kid)).toEqual({ code, message });
  });

  it('the size limits apply as at registration, in the same words', () => {
    expect(refusalOf(pair.jwk, pair.kid, { minBits: 3072, maxBits: 4096 })).toEqual({ code: 'key_too_small', message: 'the key has 2048 bits; at least 3072 are required' });
    expect(refusalOf(pair.jwk, pair.kid, { minBits: 1024, maxBits: 2047 })).toEqual({ code: 'key_too_large', message: 'the key has 2048 bits; at most 2047 are accepted' });
  });

  it('the signature length is the modulus length in whole bytes, rounded up', () => {
    const odd = createPublicKey(rsaPublicKeyPemOfBits(2044)).export({ format: 'jwk' }) as { n: string; e: string };
    expect(importStoredJwk({ kty: 'RSA', ...odd }, rsaJwkThumbprint(odd), { minBits: 2040, maxBits: 4096 })).toMatchObject({ modulusBytes: 256 });
    expect(importStoredJwk(pair.jwk, pair.kid, limits)).toMatchObject({ kid: pair.kid, modulusBytes: 256 });
  });

  it('the thumbprint is RFC 7638 (the example of its section 3.1)', () => {
    const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(rsaJwkThumbprint({ n, e: 'AQAB' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});
