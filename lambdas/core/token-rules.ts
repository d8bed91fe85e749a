import { MAX_JTI_LENGTH, MAX_KID_LENGTH, KEY_NAME_PATTERN, SUBJECT_PREFIX, TOKEN_ALGORITHM } from './limits.js';
import { deny, type Denial } from './reasons.js';
import { writtenAsIntegerLiteral, type JsonObject } from './strict-json.js';
import type { StepObserver } from './token-steps.js';

// The jti goes into the authorizer context, the access log and the replay table's key: control
// characters and lone surrogates (which DynamoDB refuses, turning a signed token into a 503) are
// refused here instead.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE_OR_ILL_FORMED = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isPrintableText(text: string): boolean {
  // The common case, printable ASCII (a UUID), needs only its character codes; anything else is
  // left to the pattern.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return !UNPRINTABLE_OR_ILL_FORMED.test(text);
  }
  return true;
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

/**
 * The algorithm names a JOSE client may send by mistake. Only these are named back in a denial's
 * detail; any other `alg` text is attacker-chosen and is described by its kind instead.
 */
const KNOWN_ALGORITHMS: ReadonlySet<string> = new Set([
  'none', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA', 'Ed25519', 'Ed448',
]);

/** A value read from an epoch seconds claim above this is from after the year 5000: it is milliseconds. */
const MILLISECONDS_FROM = 100_000_000_000;

/**
 * What a header parameter or claim is, without its text: denial details are sent to the caller and
 * logged, so they describe a value by its kind and bounded numbers, never by quoting it.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length === 0) return 'an empty string';
    return /^-?\d+(\.\d+)?$/.test(value) ? 'a number in a string' : `a string of ${value.length} characters`;
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'a number with a fraction';
    if (value < 0) return 'a negative number';
    return Number.isSafeInteger(value) ? 'a number' : 'a number above 2^53';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `alg` pinned to RS512, `crit` refused, `kid` optional; key hints in the header are never followed. */
export function checkHeader(header: JsonObject, observer?: StepObserver): { ok: true; kid: string | undefined } | Denial {
  let first: Denial | undefined;
  const alg = header['alg'];
  if (alg !== TOKEN_ALGORITHM) {
    const seen = alg === undefined ? undefined : typeof alg === 'string' && KNOWN_ALGORITHMS.has(alg) ? alg : describeValue(alg);
    const denial = deny('unsupported_algorithm', seen === undefined ? 'alg is required and must be RS512' : `alg must be RS512; got ${seen}`);
    if (!observer) return denial;
    observer.fail('alg', denial);
    first = denial;
  } else observer?.pass('alg');
  if ('crit' in header) {
    const denial = deny('malformed_token', 'the crit header parameter is not supported');
    if (!observer) return denial;
    observer.fail('crit', denial);
    first ??= denial;
  } else observer?.pass('crit');
  const kid = header['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    const denial = deny('malformed_token', `kid must be a non-empty string of at most ${MAX_KID_LENGTH} characters; got ${describeValue(kid)}`);
    if (!observer) return denial;
    observer.fail('kid', denial);
    first ??= denial;
  } else observer?.pass('kid');
  // jwk, jku, x5u and x5c are ignored on purpose: a key is only ever found through `sub` and `kid`.
  return first ?? { ok: true, kid: kid as string | undefined };
}

/** A claim that is a non-negative safe integer written as an integer literal, or undefined. */
export function epochSecondsClaim(payload: JsonObject, name: 'iat' | 'exp' | 'nbf'): number | undefined {
  const value = payload[name];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && writtenAsIntegerLiteral(payload, name) ? value : undefined;
}

function notEpochSeconds(name: 'iat' | 'exp' | 'nbf', value: unknown): Denial {
  // A whole number that still failed was written as 1.7e9 or 1700000000.0: the contract wants integer literals.
  const seen = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? 'a whole number written with a decimal point or an exponent' : describeValue(value);
  return deny('invalid_claim', `${name} must be an integer number of seconds since the epoch; got ${seen}`);
}

/** The step of an epoch claim that is present: its denial unless it is epoch seconds (told to an observer either way). */
function epochClaimDenial(name: 'iat' | 'exp' | 'nbf', value: unknown, seconds: number | undefined, observer: StepObserver | undefined): Denial | undefined {
  if (value === undefined) return undefined;
  if (seconds !== undefined) {
    observer?.pass(name);
    return undefined;
  }
  const denial = notEpochSeconds(name, value);
  observer?.fail(name, denial);
  return denial;
}

/**
 * The hint for epoch values that can only be milliseconds (Java's Date.getTime(), JavaScript's
 * Date.now()). Built only on a denial: the accepting path allocates nothing for it.
 */
function millisecondsHint(exp: number | undefined, iat: number | undefined): string {
  const expInMilliseconds = exp !== undefined && exp >= MILLISECONDS_FROM;
  const iatInMilliseconds = iat !== undefined && iat >= MILLISECONDS_FROM;
  if (expInMilliseconds && iatInMilliseconds) return '; exp and iat look like milliseconds';
  if (expInMilliseconds) return '; exp looks like milliseconds';
  return iatInMilliseconds ? '; iat looks like milliseconds' : '';
}

function clockSkewClause(rules: TokenRules): string {
  return `the allowed clock skew is ${rules.clockSkewSeconds} s`;
}

/**
 * Claims: sub grammar, iat/exp/nbf integers, lifetime, expiry and not-before with skew, jti. Without
 * an observer, the first failure returns at once; with one, each step is told (see StepObserver).
 */
export function checkClaims(payload: JsonObject, nowSeconds: number, rules: TokenRules, observer?: StepObserver): Omit<TokenClaims, 'kid'> | Denial {
  const now = Math.floor(nowSeconds);
  const { sub, iat, exp, nbf, jti } = payload;
  let first: Denial | undefined;

  if (sub === undefined) {
    const denial = deny('missing_claim', 'sub is required');
    if (!observer) return denial;
    observer.fail('sub', denial);
    first = denial;
  }
  const keyName = typeof sub === 'string' && sub.startsWith(SUBJECT_PREFIX) ? sub.slice(SUBJECT_PREFIX.length) : undefined;
  if (sub !== undefined) {
    if (typeof sub !== 'string' || keyName === undefined || !KEY_NAME_PATTERN.test(keyName)) {
      const seen = typeof sub !== 'string' ? describeValue(sub) : sub.startsWith(SUBJECT_PREFIX) ? 'a key name outside that grammar' : `a string without the ${SUBJECT_PREFIX} prefix`;
      const denial = deny('invalid_subject', `sub must be ${SUBJECT_PREFIX}<key name> (1-64 of A-Za-z0-9._-, starting with a letter or digit); got ${seen}`);
      if (!observer) return denial;
      observer.fail('sub', denial);
      first ??= denial;
    } else observer?.pass('sub');
  }
  // Written out, not looped over: no array per token on the accepting path.
  if (iat === undefined) {
    const denial = deny('missing_claim', 'iat is required');
    if (!observer) return denial;
    observer.fail('iat', denial);
    first ??= denial;
  }
  if (exp === undefined) {
    const denial = deny('missing_claim', 'exp is required');
    if (!observer) return denial;
    observer.fail('exp', denial);
    first ??= denial;
  }
  if (jti === undefined) {
    const denial = deny('missing_claim', 'jti is required');
    if (!observer) return denial;
    observer.fail('jti', denial);
    first ??= denial;
  }
  const iatSeconds = epochSecondsClaim(payload, 'iat');
  const expSeconds = epochSecondsClaim(payload, 'exp');
  const nbfSeconds = nbf === undefined ? undefined : epochSecondsClaim(payload, 'nbf');
  const iatDenial = epochClaimDenial('iat', iat, iatSeconds, observer);
  if (iatDenial && !observer) return iatDenial;
  const expDenial = epochClaimDenial('exp', exp, expSeconds, observer);
  if (expDenial && !observer) return expDenial;
  if (nbf === undefined) observer?.pass('nbf');
  const nbfDenial = epochClaimDenial('nbf', nbf, nbfSeconds, observer);
  if (nbfDenial && !observer) return nbfDenial;
  first ??= iatDenial ?? expDenial ?? nbfDenial;
  if (jti !== undefined) {
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH || !isPrintableText(jti)) {
      const denial =
        typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH
          ? deny('invalid_claim', `jti must be a non-empty string of at most ${MAX_JTI_LENGTH} characters; got ${describeValue(jti)}`)
          : deny('invalid_claim', 'jti must be printable text (no control characters, no unpaired surrogates)');
      if (!observer) return denial;
      observer.fail('jti', denial);
      first ??= denial;
    } else observer?.pass('jti');
  }
  if (iatSeconds === undefined || expSeconds === undefined) {
    observer?.skip('order', 'needs valid iat and exp');
    observer?.skip('lifetime', 'needs valid iat and exp');
  } else if (expSeconds <= iatSeconds) {
    const denial = deny('invalid_claim', `exp must be after iat; got exp - iat = ${expSeconds - iatSeconds} s${millisecondsHint(expSeconds, iatSeconds)}`);
    if (!observer) return denial;
    observer.fail('order', denial);
    first ??= denial;
    observer.skip('lifetime', 'needs exp after iat');
  } else {
    observer?.pass('order');
    if (expSeconds - iatSeconds > rules.maxLifetimeSeconds) {
      const denial = deny('lifetime_too_long', `exp - iat is ${expSeconds - iatSeconds} s; at most ${rules.maxLifetimeSeconds} s is allowed${millisecondsHint(expSeconds, iatSeconds)}`);
      if (!observer) return denial;
      observer.fail('lifetime', denial);
      first ??= denial;
    } else observer?.pass('lifetime');
  }
  if (expSeconds === undefined) observer?.skip('not-expired', 'needs a valid exp');
  else if (expSeconds <= now - rules.clockSkewSeconds) {
    const denial = deny('token_expired', `exp is ${now - expSeconds} s in the past; ${clockSkewClause(rules)}`);
    if (!observer) return denial;
    observer.fail('not-expired', denial);
    first ??= denial;
  } else observer?.pass('not-expired');
  if (iatSeconds === undefined) observer?.skip('iat-not-future', 'needs a valid iat');
  else if (iatSeconds > now + rules.clockSkewSeconds) {
    const denial = deny('token_not_yet_valid', `iat is ${iatSeconds - now} s in the future; ${clockSkewClause(rules)}${millisecondsHint(undefined, iatSeconds)}`);
    if (!observer) return denial;
    observer.fail('iat-not-future', denial);
    first ??= denial;
  } else observer?.pass('iat-not-future');
  if (nbf === undefined) observer?.pass('nbf-not-future');
  else if (nbfSeconds === undefined) observer?.skip('nbf-not-future', 'needs a valid nbf');
  else if (nbfSeconds > now + rules.clockSkewSeconds) {
    const denial = deny('token_not_yet_valid', `nbf is ${nbfSeconds - now} s in the future; ${clockSkewClause(rules)}${nbfSeconds >= MILLISECONDS_FROM ? '; nbf looks like milliseconds' : ''}`);
    if (!observer) return denial;
    observer.fail('nbf-not-future', denial);
    first ??= denial;
  } else observer?.pass('nbf-not-future');

  if (first) return first;
  // Every step passed, so each value is what its step checked.
  return { ok: true, keyName: keyName as string, jti: jti as string, iat: iatSeconds as number, exp: expSeconds as number, payload };
}
