import { X509Certificate, createPrivateKey, createPublicKey, hash, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { decodeStrictBase64 } from './base64url.js';
import { isBoundedString, isStrictObject } from './shape.js';
import type { VerificationKey } from './token-checks.js';

/** Bounds on accepted RSA keys. Registration defaults to 2048-4096; the maximum can be raised to 8192. */
export interface KeySizeLimits {
  readonly minBits: number;
  readonly maxBits: number;
}

export const DEFAULT_KEY_SIZE_LIMITS: KeySizeLimits = { minBits: 2048, maxBits: 4096 };
export const ABSOLUTE_MAX_KEY_BITS = 8192;
export const MAX_PUBLIC_KEY_INPUT_CHARS = 12 * 1024;

export type KeyMaterialErrorCode =
  | 'input_too_large'
  | 'empty_input'
  | 'invalid_base64'
  | 'double_encoded'
  | 'not_pem'
  | 'multiple_pem_blocks'
  | 'text_around_pem'
  | 'private_key_not_accepted'
  | 'unsupported_pem_type'
  | 'invalid_key_encoding'
  | 'unsupported_key_type'
  | 'key_too_small'
  | 'key_too_large'
  | 'unsupported_exponent'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'kid_mismatch';

/** A refusal with a stable code. Messages never quote the input. */
export class KeyMaterialError extends Error {
  override readonly name = 'KeyMaterialError';
  constructor(
    readonly code: KeyMaterialErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RsaPublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
}

export interface ParsedPublicKey {
  readonly jwk: RsaPublicJwk;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url). */
  readonly kid: string;
  readonly bits: number;
  /** The key re-encoded as an SPKI `PUBLIC KEY` PEM. */
  readonly publicKeyPem: string;
  readonly source: 'spki' | 'pkcs1' | 'certificate';
}

const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END \1-----$/;
const BEGIN_MARKER = /-----BEGIN [^-\r\n]*-----/g;
const ANY_BEGIN = '-----BEGIN ';
const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;

/**
 * Turns registration input into a validated RSA public key. Accepts an SPKI `PUBLIC KEY`, a PKCS#1
 * `RSA PUBLIC KEY` or a currently valid `CERTIFICATE` PEM, or any of these base64-encoded once.
 * Node's createPublicKey alone would accept private keys, odd exponents and trailing bytes.
 */
export async function parsePublicKeyInput(
  input: string,
  options: { readonly limits?: KeySizeLimits; readonly now?: Date } = {},
): Promise<ParsedPublicKey> {
  const limits = options.limits ?? DEFAULT_KEY_SIZE_LIMITS;
  if (input.length > MAX_PUBLIC_KEY_INPUT_CHARS) {
    throw new KeyMaterialError('input_too_large', `public key input is over ${MAX_PUBLIC_KEY_INPUT_CHARS} characters`);
  }
  const pem = unwrapBase64(input.trim());
  const { label, der } = parseSinglePemBlock(pem);
  let key: KeyObject;
  let source: ParsedPublicKey['source'];
  switch (label) {
    case 'PUBLIC KEY':
      key = loadCanonicalDer(der, 'spki');
      source = 'spki';
      break;
    case 'RSA PUBLIC KEY':
      key = loadCanonicalDer(der, 'pkcs1');
      source = 'pkcs1';
      break;
    case 'CERTIFICATE':
      key = loadCertificateKey(der, options.now ?? new Date());
      source = 'certificate';
      break;
    default:
      throw new KeyMaterialError('unsupported_pem_type', `PEM type "${label}" is not accepted; send a PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE`);
  }
  const { jwk, bits } = checkRsaKey(key, limits);
  return {
    jwk,
    kid: await calculateJwkThumbprint(jwk, 'sha256'),
    bits,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    source,
  };
}

function unwrapBase64(text: string): string {
  if (text.length === 0) throw new KeyMaterialError('empty_input', 'publicKey is empty');
  if (text.includes(ANY_BEGIN)) return text;
  const decoded = decodeStrictBase64(text);
  if (!decoded) throw new KeyMaterialError('not_pem', 'publicKey is neither a PEM block nor base64 of one');
  const inner = decoded.toString('utf8').trim();
  if (inner.includes(ANY_BEGIN)) return inner;
  if (decodeStrictBase64(inner)?.toString('utf8').includes(ANY_BEGIN)) {
    throw new KeyMaterialError('double_encoded', 'publicKey is base64-encoded more than once; encode the PEM once at most');
  }
  throw new KeyMaterialError('invalid_base64', 'publicKey decodes from base64 but is not a PEM block');
}

function parseSinglePemBlock(text: string): { label: string; der: Buffer } {
  const markers = text.match(BEGIN_MARKER) ?? [];
  if (markers.some((m) => m.includes('PRIVATE KEY'))) {
    throw new KeyMaterialError('private_key_not_accepted', 'a private key was sent; send only the public key and keep the private key secret');
  }
  if (markers.length > 1) throw new KeyMaterialError('multiple_pem_blocks', 'send exactly one PEM block');
  const match = PEM_BLOCK.exec(text);
  if (!match) {
    const begin = text.indexOf(ANY_BEGIN);
    const endsCleanly = /-----END [A-Z0-9 ]+-----$/.test(text);
    if (begin > 0 || !endsCleanly) throw new KeyMaterialError('text_around_pem', 'the PEM block must stand alone, with no text before or after it');
    throw new KeyMaterialError('invalid_key_encoding', 'the PEM block is malformed');
  }
  const label = match[1] ?? '';
  const der = decodeStrictBase64(match[2] ?? '');
  if (!der) throw new KeyMaterialError('invalid_key_encoding', 'the PEM body is not valid base64');
  return { label, der };
}

/** Node derives a public key from private-key DER put under a public label; refuse that as what it is. */
function isPrivateKeyDer(der: Buffer): boolean {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      createPrivateKey({ key: der, format: 'der', type });
      return true;
    } catch {
      // not a private key of this encoding
    }
  }
  return false;
}

function loadCanonicalDer(der: Buffer, type: 'spki' | 'pkcs1'): KeyObject {
  const key = tryCreatePublicKey(der, type);
  // Re-encoding must give back the same bytes: this refuses trailing data and non-canonical DER, and a
  // private key's bytes never re-encode as a public key's, so the common case needs no private-key probe.
  if (key?.asymmetricKeyType === 'rsa' && key.export({ type, format: 'der' }).equals(der)) return key;
  if (isPrivateKeyDer(der)) {
    throw new KeyMaterialError('private_key_not_accepted', 'a private key was sent under a public-key label; send only the public key and keep the private key secret');
  }
  if (!key) throw new KeyMaterialError('invalid_key_encoding', `the ${type === 'spki' ? 'PUBLIC KEY' : 'RSA PUBLIC KEY'} block does not hold a valid key`);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyMaterialError('unsupported_key_type', `a ${key.asymmetricKeyType ?? 'non-RSA'} key was sent; only RSA keys are accepted`);
  }
  throw new KeyMaterialError('invalid_key_encoding', 'the key encoding is not canonical DER or has trailing data');
}

function tryCreatePublicKey(der: Buffer, type: 'spki' | 'pkcs1'): KeyObject | undefined {
  try {
    return createPublicKey({ key: der, format: 'der', type });
  } catch {
    return undefined;
  }
}

/** A certificate only carries the key: its dates do not matter to the token contract, so the bare key is the way out. */
const SEND_THE_PUBLIC_KEY_INSTEAD =
  'send its public key instead, which is accepted whatever the certificate dates: openssl x509 -pubkey -noout -in <certificate file> prints it as a PUBLIC KEY PEM';

function loadCertificateKey(der: Buffer, now: Date): KeyObject {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    throw new KeyMaterialError('invalid_key_encoding', 'the CERTIFICATE block does not hold a valid certificate');
  }
  if (!certificate.raw.equals(der)) throw new KeyMaterialError('invalid_key_encoding', 'the certificate has trailing data');
  if (now < new Date(certificate.validFrom)) {
    throw new KeyMaterialError('certificate_not_yet_valid', `the certificate is valid only from ${certificate.validFrom}; ${SEND_THE_PUBLIC_KEY_INSTEAD}`);
  }
  if (now > new Date(certificate.validTo)) throw new KeyMaterialError('certificate_expired', `the certificate expired on ${certificate.validTo}; ${SEND_THE_PUBLIC_KEY_INSTEAD}`);
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyMaterialError('unsupported_key_type', `the certificate holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; only RSA keys are accepted`);
  }
  return key;
}

function checkRsaKey(key: KeyObject, limits: KeySizeLimits): { jwk: RsaPublicJwk; bits: number } {
  const bits = checkRsaKeyDetails(key, limits);
  const { n, e } = key.export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new KeyMaterialError('invalid_key_encoding', 'the key could not be exported');
  return { jwk: { kty: 'RSA', n, e }, bits };
}

function checkRsaKeyDetails(key: KeyObject, limits: KeySizeLimits): number {
  const details = key.asymmetricKeyDetails;
  const bits = details?.modulusLength ?? 0;
  if (details?.publicExponent !== 65537n) {
    throw new KeyMaterialError('unsupported_exponent', 'the public exponent must be 65537');
  }
  if (bits < limits.minBits) throw new KeyMaterialError('key_too_small', `the key has ${bits} bits; at least ${limits.minBits} are required`);
  if (bits > limits.maxBits) throw new KeyMaterialError('key_too_large', `the key has ${bits} bits; at most ${limits.maxBits} are accepted`);
  return bits;
}

/** RFC 7638 thumbprint of an RSA JWK, computed synchronously for the authorizer's cache-miss path. */
export function rsaJwkThumbprint(jwk: { readonly n: string; readonly e: string }): string {
  // Members in lexicographic order, no whitespace, as RFC 7638 section 3 requires.
  return hash('sha256', `{"e":${JSON.stringify(jwk.e)},"kty":"RSA","n":${JSON.stringify(jwk.n)}}`, 'base64url');
}

/** Bounds of a stored JWK's members: n fits a 12,288-bit modulus, e any exponent keygate accepts. */
const MAX_STORED_N_CHARS = 2048;
const MAX_STORED_E_CHARS = 16;

/**
 * The stored JWK's shape, defined once: what the key store refuses as not written by keygate and
 * what `importStoredJwk` refuses before importing. Undefined when the shape is right.
 */
export function storedJwkProblem(jwk: unknown): KeyMaterialError | undefined {
  if (typeof jwk !== 'object' || jwk === null || (jwk as { kty?: unknown }).kty !== 'RSA') {
    return new KeyMaterialError('unsupported_key_type', 'the stored key is not an RSA JWK');
  }
  const { n, e } = jwk as { n?: unknown; e?: unknown };
  // Only the alphabet here: a non-canonical spelling of n or e gives another thumbprint than the kid, refused on import.
  if (!isBoundedString(n, MAX_STORED_N_CHARS, BASE64URL_TEXT) || !isBoundedString(e, MAX_STORED_E_CHARS, BASE64URL_TEXT)) {
    return new KeyMaterialError('invalid_key_encoding', 'the stored JWK lacks a canonical base64url n or e');
  }
  // A private member (d, p, q…) or anything else means someone other than keygate wrote it.
  if (!isStrictObject(jwk, ['kty', 'n', 'e'])) return new KeyMaterialError('invalid_key_encoding', 'the stored JWK has members other than kty, n and e');
  return undefined;
}

/**
 * Imports a key as stored in the key store. The store is not trusted blindly: the key must have the
 * stored shape, pass the same checks as at registration, and its kid must be its thumbprint.
 */
export function importStoredJwk(jwk: unknown, kid: string, limits: KeySizeLimits): VerificationKey {
  const problem = storedJwkProblem(jwk);
  if (problem) throw problem;
  const { n, e } = jwk as RsaPublicJwk;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  } catch {
    throw new KeyMaterialError('invalid_key_encoding', 'the stored JWK is not a valid RSA public key');
  }
  const bits = checkRsaKeyDetails(key, limits);
  // A non-canonical n (leading zero octets) gives another thumbprint, so it is refused here too.
  if (rsaJwkThumbprint({ n, e }) !== kid) {
    throw new KeyMaterialError('kid_mismatch', 'the stored kid is not the thumbprint of the stored key');
  }
  return { kid, key, modulusBytes: Math.ceil(bits / 8) };
}
