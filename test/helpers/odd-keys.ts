import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

function derLength(length: number): Buffer {
  if (length < 128) return Buffer.from([length]);
  if (length < 256) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

/** A PKCS#1 RSAPublicKey PEM with any exponent, even ones no key generator makes (e = 1). */
export function pkcs1PemWithExponent(exponent: number, bits = 2048): string {
  const { n } = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }) as { n: string };
  const integer = (bytes: Buffer) => Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
  const modulus = Buffer.concat([Buffer.from([0]), Buffer.from(n, 'base64url')]);
  const body = Buffer.concat([integer(modulus), integer(Buffer.from([exponent]))]);
  const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  return `-----BEGIN RSA PUBLIC KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END RSA PUBLIC KEY-----\n`;
}

/**
 * An RSA public key (SPKI PEM, e = 65537) of exactly `bits` bits, made in microseconds: a random odd
 * modulus, not a product of two primes. Size checks only read the public half, and generating a
 * real 6144-bit pair costs seconds of random work.
 */
export function rsaPublicKeyPemOfBits(bits: number): string {
  const modulus = randomBytes(Math.ceil(bits / 8));
  modulus[0] = (modulus[0] ?? 0) | 0x80;
  modulus[modulus.length - 1] = (modulus[modulus.length - 1] ?? 0) | 0x01;
  const key = createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }, format: 'jwk' });
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
