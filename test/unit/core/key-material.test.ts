import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { importStoredJwk, KeyMaterialError, parsePublicKeyInput, rsaJwkThumbprint } from '../../../lambdas/core/key-material.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../../cli/pki/x509.js';
import { rsaKeyPair } from '../../helpers/keys.js';
import { pkcs1PemWithExponent, rsaPublicKeyPemOfBits } from '../../helpers/odd-keys.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

async function codeOf(input: string, options?: Parameters<typeof parsePublicKeyInput>[1]): Promise<string> {
  try {
    await parsePublicKeyInput(input, options);
    return 'accepted';
  } catch (error) {
    if (error instanceof KeyMaterialError) {
      expect(error.message).not.toContain('MII'); // never quotes key material
      return error.code;
    }
    throw error;
  }
}

describe('parsePublicKeyInput accepts', () => {
  const pair = rsaKeyPair(2048);
  const pkcs1 = pair.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  let certificate: CertifiedKey;

  beforeAll(async () => {
    const ca = await createSelfSignedCa({ subject: 'CN=Test CA' });
    certificate = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' });
  });

  it('an SPKI PEM, returning the JWK, RFC 7638 kid, bits and an SPKI PEM', async () => {
    const parsed = await parsePublicKeyInput(pair.publicKeyPem);
    expect(parsed).toMatchObject({ jwk: pair.jwk, kid: pair.kid, bits: 2048, source: 'spki', publicKeyPem: pair.publicKeyPem });
    expect(parsed.kid).toBe(await calculateJwkThumbprint(pair.jwk, 'sha256'));
  });

  it('a PKCS#1 PEM, giving the same kid as its SPKI form', async () => {
    expect(await parsePublicKeyInput(pkcs1)).toMatchObject({ kid: pair.kid, source: 'pkcs1' });
  });

  it('a currently valid certificate, using its key', async () => {
    const parsed = await parsePublicKeyInput(certificate.certificatePem);
    const expectedKid = rsaJwkThumbprint(certificate.publicKey.export({ format: 'jwk' }) as { n: string; e: string });
    expect(parsed).toMatchObject({ source: 'certificate', kid: expectedKid, bits: 2048 });
  });

  it.each(['spki', 'pkcs1', 'certificate'] as const)('%s base64-encoded once (also line-wrapped)', async (kind) => {
    const pem = kind === 'spki' ? pair.publicKeyPem : kind === 'pkcs1' ? pkcs1 : certificate.certificatePem;
    expect(await codeOf(b64(pem))).toBe('accepted');
    expect(await codeOf(b64(pem).replace(/(.{76})/g, '$1\n'))).toBe('accepted');
  });

  it('CRLF line endings and surrounding whitespace', async () => {
    expect(await codeOf(`\n  ${pair.publicKeyPem.replace(/\n/g, '\r\n')}  \n`)).toBe('accepted');
  });

  it('3072 and 4096 bits by default', async () => {
    // Registration sees only the public key: a modulus of the right length needs no key generation (seconds at 4096 bits).
    expect(await codeOf(rsaPublicKeyPemOfBits(4096))).toBe('accepted');
    expect(await codeOf(rsaPublicKeyPemOfBits(3072))).toBe('accepted');
  });

  it('the sync thumbprint used on the authorizer path agrees with jose calculateJwkThumbprint', async () => {
    for (let i = 0; i < 3; i++) {
      const jwk = rsaKeyPair(2048, `thumb${i}`).jwk;
      expect(rsaJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    }
  });
});

describe('parsePublicKeyInput refuses', () => {
  const pair = rsaKeyPair(2048);

  it.each([
    ['PKCS#8 private key', () => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['PKCS#1 private key', () => pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['encrypted PKCS#8 private key', () => pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString()],
    ['encrypted PKCS#1 private key', () => pair.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString()],
    ['EC private key', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString()],
    ['private key base64-encoded', () => b64(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())],
    ['public and private key together', () => `${pair.publicKeyPem}${pair.privateKey.export({ type: 'pkcs8', format: 'pem' })}`],
    ['PKCS#8 private key under a PUBLIC KEY label', () => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/PRIVATE KEY/g, 'PUBLIC KEY')],
    ['PKCS#1 private key under an RSA PUBLIC KEY label', () => pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/RSA PRIVATE KEY/g, 'RSA PUBLIC KEY')],
  ])('%s with private_key_not_accepted, never echoing it', async (_label, make) => {
    const input = make();
    try {
      await parsePublicKeyInput(input);
      expect.unreachable();
    } catch (error) {
      expect((error as KeyMaterialError).code).toBe('private_key_not_accepted');
      const body = input.split('\n').find((line) => line.length > 40) ?? input;
      expect((error as Error).message).not.toContain(body.slice(0, 20));
    }
  });

  it.each([
    ['an EC key', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_key_type'],
    ['an Ed25519 key', () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_key_type'],
    ['an RSA-PSS key', () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_key_type'],
    ['a 1024-bit key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'key_too_small'],
    ['a 2040-bit key', () => generateKeyPairSync('rsa', { modulusLength: 2040 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'key_too_small'],
    ['e = 3', () => generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'unsupported_exponent'],
    ['two PEM blocks', () => pair.publicKeyPem + rsaKeyPair(2048, 'b').publicKeyPem, 'multiple_pem_blocks'],
    ['text before the block', () => `my key:\n${pair.publicKeyPem}`, 'text_around_pem'],
    ['text after the block', () => `${pair.publicKeyPem}thanks!`, 'text_around_pem'],
    ['base64 applied twice', () => b64(b64(pair.publicKeyPem)), 'double_encoded'],
    ['garbage', () => 'hello world', 'not_pem'],
    ['base64 of garbage', () => b64('hello world, no key here'), 'invalid_base64'],
    ['malformed base64 in the block', () => pair.publicKeyPem.replace(/\n(.)/, '\n!$1'), 'invalid_key_encoding'],
    ['empty input', () => '   ', 'empty_input'],
    ['oversized input', () => 'A'.repeat(13 * 1024), 'input_too_large'],
    ['an unknown PEM type', () => pair.publicKeyPem.replace(/PUBLIC KEY/g, 'SOMETHING ELSE'), 'unsupported_pem_type'],
    ['PKCS#1 bytes under an SPKI label', () => pair.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/RSA PUBLIC KEY/g, 'PUBLIC KEY'), 'invalid_key_encoding'],
  ])('%s', async (_label, make, code) => {
    expect(await codeOf(make())).toBe(code);
  });

  it('an SPKI key with trailing bytes inside the DER', async () => {
    const der = Buffer.concat([pair.publicKey.export({ type: 'spki', format: 'der' }), Buffer.from([0, 0])]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PUBLIC KEY-----\n`;
    expect(await codeOf(pem)).toBe('invalid_key_encoding');
  });

  it('e = 1 (hand-built PKCS#1, which node loads silently)', async () => {
    expect(await codeOf(pkcs1PemWithExponent(1))).toBe('unsupported_exponent');
  });

  it('an expired and a not-yet-valid certificate', async () => {
    const ca = await createSelfSignedCa({ subject: 'CN=Test CA' });
    const expired = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=old', notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const future = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=new', notBefore: new Date(Date.now() + 86_400_000), days: 30 });
    expect(await codeOf(expired.certificatePem)).toBe('certificate_expired');
    expect(await codeOf(future.certificatePem)).toBe('certificate_not_yet_valid');
  });

  it('an out-of-date certificate is refused with the way out: its public key, which is then accepted', async () => {
    const ca = await createSelfSignedCa({ subject: 'CN=Test CA' });
    const expired = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=old', notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const future = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=new', notBefore: new Date(Date.now() + 86_400_000), days: 30 });
    const hint = 'send its public key instead, which is accepted whatever the certificate dates: openssl x509 -pubkey -noout -in <certificate file> prints it as a PUBLIC KEY PEM';
    await expect(parsePublicKeyInput(expired.certificatePem)).rejects.toMatchObject({ code: 'certificate_expired', message: `the certificate expired on Jan  1 00:00:00 2021 GMT; ${hint}` });
    await expect(parsePublicKeyInput(future.certificatePem)).rejects.toMatchObject({ code: 'certificate_not_yet_valid', message: expect.stringMatching(/^the certificate is valid only from .+ GMT; send its public key instead, /) });
    // The hint holds: the same key, sent as the PUBLIC KEY the command prints, is accepted.
    const publicKeyPem = new X509Certificate(expired.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(await codeOf(publicKeyPem)).toBe('accepted');
  });

  it('over-limit keys: 6144 bits refused by default, accepted when the maximum is raised', async () => {
    const big = rsaPublicKeyPemOfBits(6144);
    expect(await codeOf(big)).toBe('key_too_large');
    expect(await codeOf(big, { limits: { minBits: 2048, maxBits: 8192 } })).toBe('accepted');
    expect(await codeOf(rsaPublicKeyPemOfBits(3072), { limits: { minBits: 2048, maxBits: 2048 } })).toBe('key_too_large');
  }, 60_000);

  it('a private key object turned into a public PEM is what we accept, not the private key itself', () => {
    // Documents why the check is ours: node derives a public key from private input without complaint.
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => createPrivateKey(pem)).not.toThrow();
  });
});

describe('importStoredJwk (the store is not trusted blindly)', () => {
  const pair = rsaKeyPair(2048);
  const limits = { minBits: 2048, maxBits: 4096 };

  it('imports a stored key whose kid is its thumbprint', () => {
    const key = importStoredJwk(pair.jwk, pair.kid, limits);
    expect(key).toMatchObject({ kid: pair.kid, modulusBytes: 256 });
  });

  it.each([
    ['kid that is not the thumbprint', () => importStoredJwk(pair.jwk, 'someone-elses-kid', limits), 'kid_mismatch'],
    ['e = 3', () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string };
      return importStoredJwk({ kty: 'RSA', ...weak }, rsaJwkThumbprint(weak), limits);
    }, 'unsupported_exponent'],
    ['1024 bits', () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as { n: string; e: string };
      return importStoredJwk({ kty: 'RSA', ...small }, rsaJwkThumbprint(small), limits);
    }, 'key_too_small'],
    ['an EC JWK', () => importStoredJwk({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }, 'k', limits), 'unsupported_key_type'],
    ['garbage n', () => importStoredJwk({ kty: 'RSA', n: '!!', e: 'AQAB' }, 'k', limits), 'invalid_key_encoding'],
    ['an n with padding', () => importStoredJwk({ kty: 'RSA', n: `${pair.jwk.n}=`, e: 'AQAB' }, pair.kid, limits), 'invalid_key_encoding'],
    ['a non-canonical spelling of n (leading zero octet)', () => {
      const n = Buffer.concat([Buffer.from([0]), Buffer.from(pair.jwk.n, 'base64url')]).toString('base64url');
      return importStoredJwk({ kty: 'RSA', n, e: 'AQAB' }, pair.kid, limits);
    }, 'kid_mismatch'],
    ['a missing n', () => importStoredJwk({ kty: 'RSA', e: 'AQAB' }, 'k', limits), 'invalid_key_encoding'],
  ])('refuses %s', (_label, act, code) => {
    expect(act).toThrow(expect.objectContaining({ code }));
  });
});
