import { verify, type KeyObject } from 'node:crypto';
import { CheckedHeaders } from './checked-headers.js';
import { decodeCompactJws } from './compact-jws.js';
import { deny, type Denial } from './reasons.js';
import { checkClaims, checkHeader, type TokenClaims, type TokenRules } from './token-rules.js';
import type { StepObserver } from './token-steps.js';

/** One of a name's active keys, imported once and reused. */
export interface VerificationKey {
  readonly kid: string;
  readonly key: KeyObject;
  /** Modulus length in bytes: an RSASSA-PKCS1-v1_5 signature is exactly this long. */
  readonly modulusBytes: number;
}

/** A token whose header and claims passed; its signature still has to be checked against the name's keys. */
export interface UnverifiedToken extends TokenClaims {
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

export interface VerifiedToken {
  readonly ok: true;
  readonly keyName: string;
  readonly kid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly payload: TokenClaims['payload'];
}

const checkedHeaders = new CheckedHeaders();

/**
 * Everything but the signature, in the order cheapest first: size, structure, header, claims.
 * Runs before any key look-up so that malformed or expired tokens never reach the key store.
 * An observer is told each step (token-steps.ts); the outcome is the same with or without one.
 */
export function checkTokenBeforeSignature(token: string, nowSeconds: number, rules: TokenRules, observer?: StepObserver): UnverifiedToken | Denial {
  const decoded = decodeCompactJws(token, checkedHeaders);
  if (!decoded.ok) {
    if (observer) tellDecodeFailure(observer, decoded);
    return decoded;
  }
  if (observer) {
    observer.pass('size');
    observer.pass('format');
  }
  const header = checkHeader(decoded.header, observer);
  // With an observer the claims are checked too, so every problem is told; the header's failure still comes first.
  if (!header.ok && !observer) return header;
  if (header.ok) checkedHeaders.remember(decoded.headerSegment, decoded.header);
  const claims = checkClaims(decoded.payload, nowSeconds, rules, observer);
  if (!header.ok) return header;
  if (!claims.ok) return claims;
  // Built field by field: an object spread here was a quarter of the pre-signature time (profiled).
  return {
    ok: true,
    keyName: claims.keyName,
    jti: claims.jti,
    iat: claims.iat,
    exp: claims.exp,
    payload: claims.payload,
    kid: header.kid,
    signingInput: decoded.signingInput,
    signature: decoded.signature,
  };
}

/** decodeCompactJws checks the size first: a token too large is not decoded at all. */
function tellDecodeFailure(observer: StepObserver, denial: Denial): void {
  if (denial.reason === 'token_too_large') {
    observer.fail('size', denial);
    observer.skip('format', 'too large to decode');
  } else {
    observer.pass('size');
    observer.fail('format', denial);
  }
}

/** RSASSA-PKCS1-v1_5 with SHA-512. A signature of the wrong length is refused before any arithmetic. */
export function verifyRs512Signature(key: VerificationKey, signingInput: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== key.modulusBytes) return false;
  try {
    return verify('sha512', signingInput, key.key, signature);
  } catch {
    return false;
  }
}

/** Checks the signature against the name's active keys; `kid`, when given, selects exactly one. */
export function checkSignature(token: UnverifiedToken, keys: readonly VerificationKey[] | undefined, observer?: StepObserver): VerifiedToken | Denial {
  const verified = signatureOutcome(token, keys);
  if (observer) {
    if (verified.ok) observer.pass('signature');
    else observer.fail('signature', verified);
  }
  return verified;
}

function signatureOutcome(token: UnverifiedToken, keys: readonly VerificationKey[] | undefined): VerifiedToken | Denial {
  if (!keys || keys.length === 0) return deny('unknown_key', 'no active key is registered under this name');
  // A loop rather than filter(): no array per token.
  let matched = false;
  for (const candidate of keys) {
    if (token.kid !== undefined && candidate.kid !== token.kid) continue;
    matched = true;
    if (verifyRs512Signature(candidate, token.signingInput, token.signature)) {
      return { ok: true, keyName: token.keyName, kid: candidate.kid, jti: token.jti, iat: token.iat, exp: token.exp, payload: token.payload };
    }
  }
  if (!matched) return deny('unknown_kid', 'kid does not match any active key of this name');
  return deny('invalid_signature', 'the signature does not verify with any active key of this name');
}
