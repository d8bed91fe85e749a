import { authorizeTokenSync, checkNameAccess } from '../../lambdas/core/authorization.js';
import type { BindingPolicy } from '../../lambdas/core/certificate-binding.js';
import type { ClientCertificateFacts } from '../../lambdas/core/client-certificate.js';
import { decodeCompactJws } from '../../lambdas/core/compact-jws.js';
import { KEY_NAME_PATTERN, MAX_JTI_LENGTH, MAX_KID_LENGTH, MAX_TOKEN_BYTES, SUBJECT_PREFIX, TOKEN_ALGORITHM } from '../../lambdas/core/limits.js';
import type { InternalReason, PublicReason } from '../../lambdas/core/reasons.js';
import { writtenAsIntegerLiteral, type JsonObject, type JsonValue } from '../../lambdas/core/strict-json.js';
import { isPrintableText, type TokenRules } from '../../lambdas/core/token-rules.js';
import { verifyRs512Signature, type VerificationKey } from '../../lambdas/core/token-checks.js';
import { formatDuration, formatRelative, isoFromSeconds } from '../time.js';

export type RuleStatus = 'pass' | 'fail' | 'skip';

export interface RuleResult {
  readonly id: string;
  /** What the contract requires. */
  readonly rule: string;
  readonly status: RuleStatus;
  /** What this token has. */
  readonly detail: string;
  /** The internal reason this rule gives when it fails. */
  readonly reason?: InternalReason;
  /** What to change in the client, for the mistakes real clients make. */
  readonly fix?: string;
}

export type Verdict =
  | { readonly decision: 'allow'; readonly kid: string }
  | { readonly decision: 'deny'; readonly reason: InternalReason; readonly publicReason: PublicReason; readonly detail: string }
  /** Every check that needs no key passed; the signature was not checked. */
  | { readonly decision: 'unverified' };

export interface TimeClaim {
  readonly value: number;
  readonly iso: string | undefined;
  readonly relative: string;
  /** Past the year 5000 as seconds: the client sent milliseconds. */
  readonly milliseconds: boolean;
}

/** One way of tying the token to a client certificate, checked against the certificate given. */
export interface BindingCheck {
  readonly policy: Exclude<BindingPolicy, 'none'>;
  /** What the policy requires. */
  readonly rule: string;
  readonly matches: boolean;
  readonly detail: string;
}

export interface CertificateExplanation {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly thumbprintSha256: string;
  /** The certificate's RFC 7469 SHA-256 pin, as `keygate keys add --pin` takes it. */
  readonly spkiPinSha256: string;
  /** With --pin: whether the certificate's pin is one of them (a pinned name refuses it otherwise). */
  readonly pins?: { readonly listed: readonly string[]; readonly matches: boolean } | undefined;
  /** The name's policy as given with --binding; undefined when unknown (it lives in the key store, not in the token). */
  readonly binding: BindingPolicy | undefined;
  readonly checks: readonly BindingCheck[];
}

/** Checks the authorizer makes against state explain cannot see: a deny the token alone does not predict. */
export const SERVER_SIDE_CHECKS: readonly { readonly reason: InternalReason; readonly detail: string }[] = [
  { reason: 'certificate_revoked', detail: 'the client certificate is on the revocation list (keygate certs list)' },
  { reason: 'client_certificate_mismatch', detail: "the name's binding policy (subject or thumbprint) or certificate pins and the connection's certificate; check with --cert FILE --binding POLICY --pin PIN" },
  { reason: 'replayed_token', detail: 'with replay protection on, each jti is accepted once: a retry needs a new token' },
  { reason: 'key_expired', detail: 'with KEYGATE_MAX_KEY_AGE_DAYS set, a key registered longer ago is refused as invalid_signature (keygate keys list --older-than)' },
  { reason: 'insufficient_scope', detail: "the name's route permissions (keygate keys show NAME) and the request's method and path" },
];

export interface Explanation {
  readonly nowSeconds: number;
  readonly tokenRules: TokenRules;
  readonly header: JsonObject | undefined;
  readonly claims: JsonObject | undefined;
  readonly times: Readonly<Partial<Record<'iat' | 'exp' | 'nbf', TimeClaim>>>;
  readonly rules: readonly RuleResult[];
  /** Present when a client certificate was given. */
  readonly certificate?: CertificateExplanation;
  readonly verdict: Verdict;
}

export interface ExplainOptions {
  readonly nowSeconds: number;
  readonly tokenRules: TokenRules;
  /** When given, the signature is checked as if this were the name's only active key. */
  readonly key?: VerificationKey;
  /** The client certificate the token is sent with: its binding to the token is checked. */
  readonly certificate?: ClientCertificateFacts;
  /** The name's binding policy; with a certificate, it decides the verdict as in the authorizer. */
  readonly binding?: BindingPolicy;
  /** The name's certificate pins; with a certificate, they decide the verdict as in the authorizer. */
  readonly certificatePins?: readonly string[];
}

type Outcome = { readonly status: RuleStatus; readonly detail: string; readonly reason?: InternalReason; readonly fix?: string };

interface Context {
  readonly header: JsonObject;
  readonly claims: JsonObject;
  readonly now: number;
  readonly tokenRules: TokenRules;
  readonly key: VerificationKey | undefined;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const pass = (detail: string): Outcome => ({ status: 'pass', detail });
const fail = (reason: InternalReason, detail: string, fix?: string): Outcome => ({ status: 'fail', detail, reason, ...(fix ? { fix } : {}) });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });

function isEpochSeconds(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A value read as epoch seconds from this on is past the year 5000: it was sent in milliseconds. */
const MILLISECONDS_FROM = 100_000_000_000;

const FIX_MILLISECONDS = 'send seconds, not milliseconds: divide by 1000 (Java: Instant.now().getEpochSecond(), JavaScript: Math.floor(Date.now() / 1000))';

/** The mistakes real clients make with epoch claims, named with their fix; other wrong values as they are. */
function epochValueProblem(name: 'iat' | 'exp' | 'nbf', value: JsonValue, claims: JsonObject): Outcome | undefined {
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) {
    return fail('invalid_claim', `${name} is a number in a string (${show(value)})`, `send ${name} as a JSON number, without quotes (the Go jwt tool: -claim ${name}=N sends a string; build the claims as JSON instead)`);
  }
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    return fail('invalid_claim', `${name} is a number with a fraction (${value})`, `send whole seconds: round down (Python: int(time.time()); PyJWT: pass an int or a datetime)`);
  }
  if (!isEpochSeconds(value)) return fail('invalid_claim', `${name} is ${describe(value)}, not a non-negative integer`);
  if (!writtenAsIntegerLiteral(claims, name)) return fail('invalid_claim', `${name} is written with a decimal point or an exponent`, `write it as a plain integer (${value})`);
  return undefined;
}

function epochRule(name: 'iat' | 'exp'): (c: Context) => Outcome {
  return (c) => {
    const value = c.claims[name];
    if (value === undefined) return fail('missing_claim', `${name} is missing`);
    const problem = epochValueProblem(name, value, c.claims);
    if (problem) return problem;
    return pass(`${value}${(value as number) >= MILLISECONDS_FROM ? ' (looks like milliseconds)' : ''}`);
  };
}

/** Which of the given epoch values were sent in milliseconds, as a clause for a rule's detail. */
function millisecondsClause(values: Readonly<Record<string, number>>): string {
  const names = Object.keys(values).filter((name) => (values[name] ?? 0) >= MILLISECONDS_FROM);
  if (names.length === 0) return '';
  return `; ${names.join(' and ')} ${names.length === 1 ? 'looks' : 'look'} like milliseconds`;
}

/** Both times valid, or the reason a rule that needs them cannot be evaluated. */
function lifetimeOf(c: Context): { iat: number; exp: number } | string {
  const { iat, exp } = c.claims;
  return isEpochSeconds(iat) && isEpochSeconds(exp) ? { iat, exp } : 'needs valid iat and exp';
}

/**
 * The contract, one rule at a time, so every problem shows at once. Each rule mirrors one check of
 * `checkHeader`/`checkClaims`; the verdict itself always comes from the core.
 */
const RULES: readonly { readonly id: string; readonly rule: string; readonly check: (c: Context) => Outcome }[] = [
  {
    id: 'alg',
    rule: `alg is ${TOKEN_ALGORITHM}`,
    check: ({ header: { alg } }) => (alg === TOKEN_ALGORITHM ? pass(`alg is ${TOKEN_ALGORITHM}`) : fail('unsupported_algorithm', alg === undefined ? 'alg is missing' : `alg is ${describe(alg)}`)),
  },
  {
    id: 'crit',
    rule: 'no crit header parameter',
    check: ({ header }) => ('crit' in header ? fail('malformed_token', 'crit is present; no critical extensions are supported') : pass('absent')),
  },
  {
    id: 'kid',
    rule: `kid, if present, is a string of 1-${MAX_KID_LENGTH} characters`,
    check: ({ header: { kid } }) => {
      if (kid === undefined) return pass('absent: every active key of the name is tried');
      if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return fail('malformed_token', `kid is ${describe(kid)}`);
      return pass(`kid ${show(kid)}`);
    },
  },
  {
    id: 'sub',
    rule: `sub is ${SUBJECT_PREFIX}<key name>`,
    check: ({ claims: { sub } }) => {
      if (sub === undefined) return fail('missing_claim', 'sub is missing');
      if (typeof sub !== 'string') return fail('invalid_subject', `sub is ${describe(sub)}`);
      if (!sub.startsWith(SUBJECT_PREFIX)) return fail('invalid_subject', `sub ${show(sub)} does not start with ${SUBJECT_PREFIX}`);
      const name = sub.slice(SUBJECT_PREFIX.length);
      if (!KEY_NAME_PATTERN.test(name)) return fail('invalid_subject', `key name ${show(name)} is not 1-64 of A-Za-z0-9._- starting with a letter or digit`);
      return pass(`key name ${show(name)}`);
    },
  },
  { id: 'iat', rule: 'iat is an integer number of seconds', check: epochRule('iat') },
  { id: 'exp', rule: 'exp is an integer number of seconds', check: epochRule('exp') },
  {
    id: 'jti',
    rule: `jti is printable text of 1-${MAX_JTI_LENGTH} characters`,
    check: ({ claims: { jti } }) => {
      if (jti === undefined) return fail('missing_claim', 'jti is missing');
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        return fail('invalid_claim', typeof jti === 'string' ? `jti has ${jti.length} characters` : `jti is ${describe(jti)}`);
      }
      if (!isPrintableText(jti)) return fail('invalid_claim', 'jti holds a control character or an unpaired surrogate');
      return pass(`${jti.length} characters`);
    },
  },
  {
    id: 'nbf',
    rule: 'nbf, if present, is an integer number of seconds',
    check: ({ claims }) => {
      const { nbf } = claims;
      if (nbf === undefined) return pass('absent');
      return epochValueProblem('nbf', nbf, claims) ?? pass(`${nbf}`);
    },
  },
  {
    id: 'order',
    rule: 'exp is after iat',
    check: (c) => {
      const times = lifetimeOf(c);
      if (typeof times === 'string') return skip(times);
      if (times.exp > times.iat) return pass(`exp is ${formatDuration(times.exp - times.iat)} after iat`);
      const milliseconds = millisecondsClause({ exp: times.exp, iat: times.iat });
      return fail('invalid_claim', `exp is not after iat${milliseconds}`, milliseconds ? FIX_MILLISECONDS : undefined);
    },
  },
  {
    id: 'lifetime',
    rule: 'exp - iat is at most the maximum lifetime',
    check: (c) => {
      const times = lifetimeOf(c);
      if (typeof times === 'string') return skip(times);
      if (times.exp <= times.iat) return skip('needs exp after iat');
      const lifetime = times.exp - times.iat;
      const max = c.tokenRules.maxLifetimeSeconds;
      if (lifetime <= max) return pass(`${lifetime} s (at most ${max} s)`);
      const milliseconds = millisecondsClause({ exp: times.exp, iat: times.iat });
      return fail('lifetime_too_long', `${lifetime} s; at most ${max} s is allowed${milliseconds}`, milliseconds ? FIX_MILLISECONDS : undefined);
    },
  },
  {
    id: 'not-expired',
    rule: 'exp is after now, within the clock skew',
    check: ({ claims: { exp }, now, tokenRules: { clockSkewSeconds } }) => {
      if (!isEpochSeconds(exp)) return skip('needs a valid exp');
      if (exp <= now - clockSkewSeconds) return fail('token_expired', `expired ${formatRelative(exp - now)}`);
      if (exp <= now) return pass(`expired ${formatRelative(exp - now)}, accepted within the ${clockSkewSeconds} s clock skew`);
      return pass(`expires ${formatRelative(exp - now)}`);
    },
  },
  {
    id: 'iat-not-future',
    rule: 'iat is not after now, within the clock skew',
    check: ({ claims: { iat }, now, tokenRules: { clockSkewSeconds } }) => {
      if (!isEpochSeconds(iat)) return skip('needs a valid iat');
      if (iat >= MILLISECONDS_FROM) return fail('token_not_yet_valid', `issued ${formatRelative(iat - now)}; iat looks like milliseconds`, FIX_MILLISECONDS);
      if (iat > now + clockSkewSeconds) return fail('token_not_yet_valid', `issued ${formatRelative(iat - now)}: the signer's clock is ahead`, 'keep the signing machine in sync (NTP)');
      return pass(`issued ${formatRelative(iat - now)}${iat > now ? `, accepted within the ${clockSkewSeconds} s clock skew` : ''}`);
    },
  },
  {
    id: 'nbf-not-future',
    rule: 'nbf, if present, is not after now, within the clock skew',
    check: ({ claims: { nbf }, now, tokenRules: { clockSkewSeconds } }) => {
      if (nbf === undefined) return pass('absent');
      if (!isEpochSeconds(nbf)) return skip('needs a valid nbf');
      if (nbf >= MILLISECONDS_FROM) return fail('token_not_yet_valid', `valid ${formatRelative(nbf - now)}; nbf looks like milliseconds`, FIX_MILLISECONDS);
      if (nbf > now + clockSkewSeconds) return fail('token_not_yet_valid', `valid ${formatRelative(nbf - now)}`);
      return pass(`nbf ${formatRelative(nbf - now)}${nbf > now ? `, accepted within the ${clockSkewSeconds} s clock skew` : ''}`);
    },
  },
  {
    id: 'signature',
    rule: `${TOKEN_ALGORITHM} signature verifies (kid selects the key)`,
    check: ({ header, key, signingInput, signature }) => {
      if (!key) return skip('no key given (--public-key FILE)');
      const verifies = verifyRs512Signature(key, signingInput, signature);
      const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
      if (kid !== undefined && kid !== key.kid) {
        return fail('unknown_kid', `kid ${show(kid)} is not this key's kid ${key.kid}${verifies ? ' (the signature itself verifies with this key)' : ''}`);
      }
      if (verifies) return pass(`verifies with kid ${key.kid}`);
      const bits = key.modulusBytes * 8;
      return fail(
        'invalid_signature',
        signature.length === key.modulusBytes
          ? `does not verify with kid ${key.kid} (${bits}-bit key)`
          : `the signature is ${signature.length} bytes; this ${bits}-bit key makes ${key.modulusBytes}-byte signatures`,
      );
    },
  },
];

/** Decodes and checks a token without trusting it: every rule's result, and the verdict the authorizer would reach. */
export function explainToken(token: string, options: ExplainOptions): Explanation {
  const now = Math.floor(options.nowSeconds);
  const rules: RuleResult[] = [];
  const sizeOk = token.length <= MAX_TOKEN_BYTES;
  rules.push({
    id: 'size',
    rule: `at most ${MAX_TOKEN_BYTES} characters`,
    ...(sizeOk ? pass(`${token.length} characters`) : fail('token_too_large', `${token.length} characters`)),
  });

  const decoded = decodeCompactJws(token);
  const formatRule = 'three canonical base64url segments of JSON';
  if (!decoded.ok) {
    const hints = formatHints(token);
    const detail = [decoded.detail, ...hints.map((h) => h.problem)].join('; ');
    const fix = hints.map((h) => h.fix).join('; ');
    rules.push({ id: 'format', rule: formatRule, ...(sizeOk ? fail(decoded.reason, detail, fix || undefined) : skip('too large to decode')) });
    for (const { id, rule } of RULES) rules.push({ id, rule, ...skip('the token could not be decoded') });
  } else {
    rules.push({ id: 'format', rule: formatRule, ...pass('decoded') });
    const context: Context = { header: decoded.header, claims: decoded.payload, now, tokenRules: options.tokenRules, key: options.key, signingInput: decoded.signingInput, signature: decoded.signature };
    for (const { id, rule, check } of RULES) rules.push({ id, rule, ...check(context) });
  }

  return {
    nowSeconds: now,
    tokenRules: options.tokenRules,
    header: decoded.ok ? decoded.header : undefined,
    claims: decoded.ok ? decoded.payload : undefined,
    times: decoded.ok ? timesOf(decoded.payload, now) : {},
    rules,
    ...(options.certificate ? { certificate: certificateOf(options.certificate, decoded.ok ? decoded.payload : undefined, options.binding, options.certificatePins) } : {}),
    verdict: verdictOf(token, now, options),
  };
}

function certificateOf(certificate: ClientCertificateFacts, claims: JsonObject | undefined, binding: BindingPolicy | undefined, pins: readonly string[] | undefined): CertificateExplanation {
  const checks: BindingCheck[] = [];
  const cnf = claims?.['cnf'];
  const thumbprint = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? cnf['x5t#S256'] : undefined;
  checks.push({
    policy: 'thumbprint',
    rule: "cnf x5t#S256 is the certificate's SHA-256 thumbprint",
    matches: thumbprint === certificate.thumbprintSha256,
    detail:
      claims === undefined
        ? 'the token could not be decoded'
        : thumbprint === undefined
          ? 'the token has no cnf x5t#S256 claim (keygate token --cert FILE adds it)'
          : thumbprint === certificate.thumbprintSha256
            ? `both are ${certificate.thumbprintSha256}`
            : `the token has ${show(thumbprint)}, the certificate is ${certificate.thumbprintSha256}`,
  });
  const sub = claims?.['sub'];
  const keyName = typeof sub === 'string' && sub.startsWith(SUBJECT_PREFIX) ? sub.slice(SUBJECT_PREFIX.length) : undefined;
  checks.push({
    policy: 'subject',
    rule: 'the certificate CN is the key name',
    matches: keyName !== undefined && certificate.commonName === keyName,
    detail: `CN ${certificate.commonName === undefined ? 'absent' : show(certificate.commonName)}, key name ${keyName === undefined ? 'unknown (no valid sub)' : show(keyName)}`,
  });
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    thumbprintSha256: certificate.thumbprintSha256,
    spkiPinSha256: certificate.spkiPinSha256,
    ...(pins ? { pins: { listed: pins, matches: pins.includes(certificate.spkiPinSha256) } } : {}),
    binding,
    checks,
  };
}

/**
 * The authorizer's pipeline with what explain can see: the key given (as the name's only key), the
 * binding given and the certificate given. Revocation and replay depend on server state and are
 * not part of this verdict (SERVER_SIDE_CHECKS).
 */
function verdictOf(token: string, now: number, options: ExplainOptions): Verdict {
  const { key } = options;
  const pins = options.certificatePins ? new Set(options.certificatePins) : undefined;
  const outcome = authorizeTokenSync(
    token,
    { nowSeconds: now, certificate: options.certificate },
    { tokenRules: options.tokenRules, defaultBinding: options.binding ?? 'none' },
    { lookUpKeys: key ? () => ({ keys: [key], binding: undefined, access: { certificatePins: pins } }) : undefined },
  );
  if (outcome.decision === 'deny') return { decision: 'deny', reason: outcome.denial.reason, publicReason: outcome.denial.publicReason, detail: outcome.denial.detail };
  if (outcome.decision === 'allow') return { decision: 'allow', kid: outcome.token.kid };
  // Without a key the pipeline stops before the pins: ask the pipeline's own pin check, as the authorizer would after the signature.
  const pinDenial = pins && options.certificate ? checkNameAccess({ certificatePins: pins }, { nowSeconds: now, certificate: options.certificate }, 0) : undefined;
  if (pinDenial) return { decision: 'deny', reason: pinDenial.reason, publicReason: pinDenial.publicReason, detail: pinDenial.detail };
  return { decision: 'unverified' };
}

function timesOf(claims: JsonObject, now: number): Explanation['times'] {
  const times: Partial<Record<'iat' | 'exp' | 'nbf', TimeClaim>> = {};
  for (const name of ['iat', 'exp', 'nbf'] as const) {
    const value = claims[name];
    if (typeof value === 'number' && Number.isFinite(value)) times[name] = { value, iso: isoFromSeconds(value), relative: formatRelative(value - now), milliseconds: value >= MILLISECONDS_FROM };
  }
  return times;
}

/** Common copy-and-paste and encoding damage, named with its fix so a consumer need not read RFC 7515. */
function formatHints(token: string): { readonly problem: string; readonly fix: string }[] {
  const hints: { problem: string; fix: string }[] = [];
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(token) || /^MII[A-Za-z0-9+/]/.test(token)) {
    hints.push({ problem: 'it is a PEM or base64 DER block (a certificate or a key), not a token', fix: 'a token is header.payload.signature signed with your private key: mint one (keygate token, or your JWT library) and send that' });
    return hints;
  }
  if (/\s/.test(token)) hints.push({ problem: 'it contains whitespace or a line break', fix: 'copy the token as one line' });
  if (token.includes('=')) hints.push({ problem: 'it has base64 padding (=)', fix: 'remove the trailing = from each segment: JWS uses base64url without padding (RFC 7515, section 2)' });
  if (/[+/]/.test(token)) hints.push({ problem: 'it uses standard base64 characters (+ or /) instead of base64url (- and _)', fix: 'encode each segment as base64url: + becomes -, / becomes _, no padding' });
  const segments = token.split('.').length;
  if (segments !== 3) hints.push({ problem: `it has ${segments} segment${segments === 1 ? '' : 's'}`, fix: 'send the whole compact JWS: header.payload.signature, two dots' });
  return hints;
}

const UNSAFE_FOR_TERMINAL = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const MAX_SHOWN_CHARS = 120;

/**
 * A token value as JSON text that is safe to print: JSON escapes C0 controls, this also escapes C1
 * controls and bidirectional overrides, which could rewrite what support staff see on screen.
 */
export function show(value: JsonValue): string {
  const text = (JSON.stringify(value) ?? 'null').replace(UNSAFE_FOR_TERMINAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} characters)` : text;
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${show(value)}`;
  return show(value);
}
