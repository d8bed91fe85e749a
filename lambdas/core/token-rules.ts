import { MAX_JTI_LENGTH, MAX_KID_LENGTH, KEY_NAME_PATTERN, SUBJECT_PREFIX, TOKEN_ALGORITHM } from './limits.js';
import { deny, type Denial } from './reasons.js';
import { writtenAsIntegerLiteral, type JsonObject } from './strict-json.js';

// The jti goes into the authorizer context, the access log and the replay table's key: control
// characters and lone surrogates (which DynamoDB refuses, turning a signed token into a 503) are
// refused here instead.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE_OR_ILL_FORMED = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isPrintableText(text: string): boolean {
  return !UNPRINTABLE_OR_ILL_FORMED.test(text);
}

/** Tunable parts of the token contract; the rest is fixed. */
export interface TokenRules {
  /** Allowed clock difference in seconds, applied to exp, iat and nbf, never to the lifetime. 0 to 300. */
  readonly clockSkewSeconds: number;
  /** The most `exp - iat` may be, in seconds. 60 to 1800. */
  readonly maxLifetimeSeconds: number;
}

export const DEFAULT_TOKEN_RULES: TokenRules = { clockSkewSeconds: 30, maxLifetimeSeconds: 1800 };

/** What a header and claims that passed every rule tell us; the signature is not checked yet. */
export interface TokenClaims {
  readonly ok: true;
  readonly keyName: string;
  readonly kid: string | undefined;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly payload: JsonObject;
}

/** `alg` pinned to RS512, `crit` refused, `kid` optional; key hints in the header are never followed. */
export function checkHeader(header: JsonObject): { ok: true; kid: string | undefined } | Denial {
  const alg = header['alg'];
  if (alg !== TOKEN_ALGORITHM) {
    return deny('unsupported_algorithm', typeof alg === 'string' ? `alg ${JSON.stringify(alg.slice(0, 16))} is not RS512` : 'alg is missing or not a string');
  }
  if ('crit' in header) return deny('malformed_token', 'the crit header parameter is not supported');
  const kid = header['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    return deny('malformed_token', `kid must be a non-empty string of at most ${MAX_KID_LENGTH} characters`);
  }
  // jwk, jku, x5u and x5c are ignored on purpose: a key is only ever found through `sub` and `kid`.
  return { ok: true, kid };
}

/** A claim that is a non-negative safe integer written as an integer literal, or undefined. */
export function epochSecondsClaim(payload: JsonObject, name: 'iat' | 'exp' | 'nbf'): number | undefined {
  const value = payload[name];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && writtenAsIntegerLiteral(payload, name) ? value : undefined;
}

/** Claims: sub grammar, iat/exp/nbf integers, lifetime, expiry and not-before with skew, jti. */
export function checkClaims(payload: JsonObject, nowSeconds: number, rules: TokenRules): Omit<TokenClaims, 'kid'> | Denial {
  const now = Math.floor(nowSeconds);
  const { sub, iat, exp, nbf, jti } = payload;

  if (sub === undefined) return deny('missing_claim', 'sub is required');
  if (typeof sub !== 'string' || !sub.startsWith(SUBJECT_PREFIX) || !KEY_NAME_PATTERN.test(sub.slice(SUBJECT_PREFIX.length))) {
    return deny('invalid_subject', `sub must be ${SUBJECT_PREFIX}<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit)`);
  }
  if (iat === undefined) return deny('missing_claim', 'iat is required');
  if (exp === undefined) return deny('missing_claim', 'exp is required');
  if (jti === undefined) return deny('missing_claim', 'jti is required');
  const iatSeconds = epochSecondsClaim(payload, 'iat');
  const expSeconds = epochSecondsClaim(payload, 'exp');
  const nbfSeconds = nbf === undefined ? undefined : epochSecondsClaim(payload, 'nbf');
  if (iatSeconds === undefined) return deny('invalid_claim', 'iat must be a non-negative integer number of seconds');
  if (expSeconds === undefined) return deny('invalid_claim', 'exp must be a non-negative integer number of seconds');
  if (nbf !== undefined && nbfSeconds === undefined) return deny('invalid_claim', 'nbf must be a non-negative integer number of seconds');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    return deny('invalid_claim', `jti must be a non-empty string of at most ${MAX_JTI_LENGTH} characters`);
  }
  if (!isPrintableText(jti)) return deny('invalid_claim', 'jti must be printable text (no control characters, no unpaired surrogates)');
  if (expSeconds <= iatSeconds) return deny('invalid_claim', 'exp must be after iat');
  if (expSeconds - iatSeconds > rules.maxLifetimeSeconds) {
    return deny('lifetime_too_long', `exp - iat is ${expSeconds - iatSeconds} s; at most ${rules.maxLifetimeSeconds} s is allowed`);
  }
  if (expSeconds <= now - rules.clockSkewSeconds) return deny('token_expired', `expired ${now - expSeconds} s ago`);
  if (iatSeconds > now + rules.clockSkewSeconds) return deny('token_not_yet_valid', `iat is ${iatSeconds - now} s in the future`);
  if (nbfSeconds !== undefined && nbfSeconds > now + rules.clockSkewSeconds) return deny('token_not_yet_valid', `nbf is ${nbfSeconds - now} s in the future`);

  return { ok: true, keyName: sub.slice(SUBJECT_PREFIX.length), jti, iat: iatSeconds, exp: expSeconds, payload };
}
