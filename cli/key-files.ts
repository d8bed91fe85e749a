import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ABSOLUTE_MAX_KEY_BITS, KeyMaterialError, importStoredJwk, parsePublicKeyInput, type KeyMaterialErrorCode } from '../lambdas/core/key-material.js';
import type { VerificationKey } from '../lambdas/core/token-checks.js';
import { CliError } from './errors.js';

const MIN_RSA_BITS = 2048;

/** The core's wording for these names the registration API's field `publicKey`; here the input is a file. */
const FILE_WORDING: Partial<Record<KeyMaterialErrorCode, string>> = {
  empty_input: 'is empty',
  not_pem: 'is not a PEM public key, certificate or private key (expected a -----BEGIN PUBLIC KEY----- block)',
  double_encoded: 'holds a PEM block base64-encoded more than once; decode it to the PEM text',
  invalid_base64: 'decodes from base64 but is not a PEM block',
};

function isEncrypted(pem: string): boolean {
  return pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,ENCRYPTED/.test(pem);
}

/** Loads an unencrypted RSA private key (PKCS#8 or PKCS#1 PEM); messages name the file, never its content. */
export function loadRsaPrivateKey(pem: string, path: string): KeyObject {
  if (isEncrypted(pem)) {
    throw new CliError(`${path} is an encrypted private key; decrypt it first (openssl pkey -in ${path} -out plain.pem) and keep the copy mode 0600`);
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem)) {
      throw new CliError(`${path} holds a public key or certificate; signing needs the private key (private.pem from keygate keygen)`);
    }
    if (pem.includes('-----BEGIN EC PRIVATE KEY-----')) throw new CliError(`${path} holds an EC key; RS512 needs an RSA key`);
    throw new CliError(`${path} is not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new CliError(`${path} does not hold a readable private key`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CliError(`${path} holds ${key.asymmetricKeyType === 'rsa-pss' ? 'an RSA-PSS' : `an ${key.asymmetricKeyType ?? 'unknown'}`} key; RS512 needs a plain RSA key`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new CliError(`${path} holds a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  return key;
}

/**
 * A verification key from a public key, certificate or private key PEM (support staff may hold any
 * of these), checked like a registered key: RSA, exponent 65537, 2048 bits or more.
 */
export async function loadVerificationKey(pem: string, path: string, now: Date): Promise<VerificationKey & { readonly bits: number }> {
  const publicPem = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)
    ? createPublicKey(loadRsaPrivateKey(pem, path)).export({ type: 'spki', format: 'pem' }).toString()
    : pem;
  try {
    const parsed = await parsePublicKeyInput(publicPem, { limits: { minBits: MIN_RSA_BITS, maxBits: ABSOLUTE_MAX_KEY_BITS }, now });
    return { ...importStoredJwk(parsed.jwk, parsed.kid, { minBits: MIN_RSA_BITS, maxBits: ABSOLUTE_MAX_KEY_BITS }), bits: parsed.bits };
  } catch (error) {
    if (error instanceof KeyMaterialError) throw new CliError(FILE_WORDING[error.code] ? `${path} ${FILE_WORDING[error.code]}` : `${path}: ${error.message}`);
    throw error;
  }
}
