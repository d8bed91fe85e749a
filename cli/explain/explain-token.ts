import { authorizeTokenSync, checkNameAccess } from '../../lambdas/core/authorization.js';
import { checkCertificateBinding, type BindingPolicy } from '../../lambdas/core/certificate-binding.js';
import type { ClientCertificateFacts } from '../../lambdas/core/client-certificate.js';
import { decodeCompactJws, type DecodedJws } from '../../lambdas/core/compact-jws.js';
import { MAX_JTI_LENGTH, SUBJECT_PREFIX, TOKEN_ALGORITHM } from '../../lambdas/core/limits.js';
import type { Denial, InternalReason, PublicReason } from '../../lambdas/core/reasons.js';
import type { JsonObject, JsonValue } from '../../lambdas/core/strict-json.js';
import { checkSignature, verifyRs512Signature, type UnverifiedToken, type VerificationKey } from '../../lambdas/core/token-checks.js';
import type { TokenRules } from '../../lambdas/core/token-rules.js';
import { TOKEN_STEP_IDS, TOKEN_STEPS, type StepObserver, type TokenStepId } from '../../lambdas/core/token-steps.js';
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

/** What the pipeline told of one step. */
type Told = { readonly status: 'pass' } | { readonly status: 'fail'; readonly denial: Denial } | { readonly status: 'skip'; readonly why: string };

/** A StepObserver that writes down each step the pipeline tells, for the table. */
class StepRecord implements StepObserver {
  readonly steps = new Map<TokenStepId, Told>();
  pass(step: TokenStepId): void {
    this.steps.set(step, { status: 'pass' });
  }
  fail(step: TokenStepId, denial: Denial): void {
    this.steps.set(step, { status: 'fail', denial });
  }
  skip(step: TokenStepId, why: string): void {
    this.steps.set(step, { status: 'skip', why });
  }
}

/** The token as decoded, for the words of each row; whether a row passes is the pipeline's. */
interface Context {
  readonly header: JsonObject;
  readonly claims: JsonObject;
  readonly now: number;
  readonly tokenRules: TokenRules;
  readonly key: VerificationKey | undefined;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

function isEpochSeconds(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A value read as epoch seconds from this on is past the year 5000: it was sent in milliseconds. */
const MILLISECONDS_FROM = 100_000_000_000;

const FIX_MILLISECONDS = 'send seconds, not milliseconds: divide by 1000 (Java: Instant.now().getEpochSecond(), JavaScript: Math.floor(Date.now() / 1000))';

/** Why an epoch claim the pipeline refused is wrong: the mistakes real clients make, named with their fix. */
function epochValueWords(name: 'iat' | 'exp' | 'nbf', value: JsonValue): Pick<Outcome, 'detail' | 'fix'> {
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) {
    return { detail: `${name} is a number in a string (${show(value)})`, fix: `send ${name} as a JSON number, without quotes (the Go jwt tool: -claim ${name}=N sends a string; build the claims as JSON instead)` };
  }
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    return { detail: `${name} is a number with a fraction (${value})`, fix: 'send whole seconds: round down (Python: int(time.time()); PyJWT: pass an int or a datetime)' };
  }
  if (!isEpochSeconds(value)) return { detail: `${name} is ${describe(value)}, not a non-negative integer` };
  return { detail: `${name} is written with a decimal point or an exponent`, fix: `write it as a plain integer (${value})` };
}

/** Which of the given epoch values were sent in milliseconds, as a clause for a rule's detail. */
function millisecondsClause(values: Readonly<Record<string, number>>): string {
  const names = Object.keys(values).filter((name) => (values[name] ?? 0) >= MILLISECONDS_FROM);
  if (names.length === 0) return '';
  return `; ${names.join(' and ')} ${names.length === 1 ? 'looks' : 'look'} like milliseconds`;
}

const withFix = (detail: string, fix: string | undefined): Pick<Outcome, 'detail' | 'fix'> => ({ detail, ...(fix ? { fix } : {}) });

/**
 * The words of each step's row, keyed by step id (the size's are the token's length, the token may not decode): what passed, or what is wrong and how to fix it.
 * Only the words: whether the step passed, failed or was skipped, and the reason, are the pipeline's.
 */
const WORDS: { readonly [Id in Exclude<TokenStepId, 'size'>]: (c: Context, status: 'pass' | 'fail', denial: Denial | undefined) => Pick<Outcome, 'detail' | 'fix'> } = {
  format: () => ({ detail: 'decoded' }),
  alg: ({ header: { alg } }, status) => ({ detail: status === 'pass' ? `alg is ${TOKEN_ALGORITHM}` : alg === undefined ? 'alg is missing' : `alg is ${describe(alg)}` }),
  crit: (_c, status) => ({ detail: status === 'pass' ? 'absent' : 'crit is present; no critical extensions are supported' }),
  kid: ({ header: { kid } }, status) => ({ detail: status === 'fail' ? `kid is ${describe(kid ?? null)}` : kid === undefined ? 'absent: every active key of the name is tried' : `kid ${show(kid)}` }),
  sub: ({ claims: { sub } }, status) => {
    if (sub === undefined) return { detail: 'sub is missing' };
    if (typeof sub !== 'string') return { detail: `sub is ${describe(sub)}` };
    if (!sub.startsWith(SUBJECT_PREFIX)) return { detail: `sub ${show(sub)} does not start with ${SUBJECT_PREFIX}` };
    const name = sub.slice(SUBJECT_PREFIX.length);
    return { detail: status === 'pass' ? `key name ${show(name)}` : `key name ${show(name)} is not 1-64 of A-Za-z0-9._- starting with a letter or digit` };
  },
  iat: (c, status) => epochClaimWords('iat', c, status),
  exp: (c, status) => epochClaimWords('exp', c, status),
  jti: ({ claims: { jti } }, status) => {
    if (jti === undefined) return { detail: 'jti is missing' };
    if (status === 'pass' && typeof jti === 'string') return { detail: `${jti.length} characters` };
    if (typeof jti !== 'string') return { detail: `jti is ${describe(jti)}` };
    if (jti.length === 0 || jti.length > MAX_JTI_LENGTH) return { detail: `jti has ${jti.length} characters` };
    return { detail: 'jti holds a control character or an unpaired surrogate' };
  },
  nbf: ({ claims: { nbf } }, status) => (nbf === undefined ? { detail: 'absent' } : status === 'pass' ? { detail: `${nbf}` } : epochValueWords('nbf', nbf)),
  order: ({ claims }, status) => {
    const { iat, exp } = claims as { iat: number; exp: number };
    if (status === 'pass') return { detail: `exp is ${formatDuration(exp - iat)} after iat` };
    const milliseconds = millisecondsClause({ exp, iat });
    return withFix(`exp is not after iat${milliseconds}`, milliseconds ? FIX_MILLISECONDS : undefined);
  },
  lifetime: ({ claims, tokenRules: { maxLifetimeSeconds: max } }, status) => {
    const { iat, exp } = claims as { iat: number; exp: number };
    const lifetime = exp - iat;
    if (status === 'pass') return { detail: `${lifetime} s (at most ${max} s)` };
    const milliseconds = millisecondsClause({ exp, iat });
    return withFix(`${lifetime} s; at most ${max} s is allowed${milliseconds}`, milliseconds ? FIX_MILLISECONDS : undefined);
  },
  'not-expired': ({ claims, now, tokenRules: { clockSkewSeconds } }, status) => {
    const exp = claims['exp'] as number;
    if (status === 'fail') return { detail: `expired ${formatRelative(exp - now)}` };
    return { detail: exp <= now ? `expired ${formatRelative(exp - now)}, accepted within the ${clockSkewSeconds} s clock skew` : `expires ${formatRelative(exp - now)}` };
  },
  'iat-not-future': ({ claims, now, tokenRules: { clockSkewSeconds } }, status) => {
    const iat = claims['iat'] as number;
    if (status === 'pass') return { detail: `issued ${formatRelative(iat - now)}${iat > now ? `, accepted within the ${clockSkewSeconds} s clock skew` : ''}` };
    if (iat >= MILLISECONDS_FROM) return { detail: `issued ${formatRelative(iat - now)}; iat looks like milliseconds`, fix: FIX_MILLISECONDS };
    return { detail: `issued ${formatRelative(iat - now)}: the signer's clock is ahead`, fix: 'keep the signing machine in sync (NTP)' };
  },
  'nbf-not-future': ({ claims, now, tokenRules: { clockSkewSeconds } }, status) => {
    const nbf = claims['nbf'];
    if (nbf === undefined) return { detail: 'absent' };
    const seconds = nbf as number;
    if (status === 'pass') return { detail: `nbf ${formatRelative(seconds - now)}${seconds > now ? `, accepted within the ${clockSkewSeconds} s clock skew` : ''}` };
    if (seconds >= MILLISECONDS_FROM) return { detail: `valid ${formatRelative(seconds - now)}; nbf looks like milliseconds`, fix: FIX_MILLISECONDS };
    return { detail: `valid ${formatRelative(seconds - now)}` };
  },
  signature: ({ header, key, signingInput, signature }, status, denial) => {
    if (!key) return { detail: 'no key given (--public-key FILE)' };
    if (status === 'pass') return { detail: `verifies with kid ${key.kid}` };
    if (denial?.reason === 'unknown_kid') {
      // A hint only (the row failed either way): whether the kid is all that is wrong.
      const verifies = verifyRs512Signature(key, signingInput, signature);
      return { detail: `kid ${show(header['kid'] ?? null)} is not this key's kid ${key.kid}${verifies ? ' (the signature itself verifies with this key)' : ''}` };
    }
    const bits = key.modulusBytes * 8;
    return {
      detail:
        signature.length === key.modulusBytes
          ? `does not verify with kid ${key.kid} (${bits}-bit key)`
          : `the signature is ${signature.length} bytes; this ${bits}-bit key makes ${key.modulusBytes}-byte signatures`,
    };
  },
};

function epochClaimWords(name: 'iat' | 'exp', { claims }: Context, status: 'pass' | 'fail'): Pick<Outcome, 'detail' | 'fix'> {
  const value = claims[name];
  if (value === undefined) return { detail: `${name} is missing` };
  if (status === 'fail') return epochValueWords(name, value);
  return { detail: `${value}${(value as number) >= MILLISECONDS_FROM ? ' (looks like milliseconds)' : ''}` };
}

/** The token checks' stand-in for a token whose claims failed: the signature is still checked, by the core's own step. */
function signatureInputOf(decoded: DecodedJws): UnverifiedToken {
  const kid = decoded.header['kid'];
  return { ok: true, keyName: '', kid: typeof kid === 'string' ? kid : undefined, jti: '', iat: 0, exp: 0, payload: decoded.payload, signingInput: decoded.signingInput, signature: decoded.signature };
}

/** One row of the table: the step as the pipeline told it, in words (size and format read the token alone). */
function rowOf(id: TokenStepId, told: Told | undefined, context: Context | undefined, token: string): RuleResult {
  const rule = TOKEN_STEPS[id];
  if (!told) {
    // Not told: the token did not decode, or no key was given for the signature.
    const detail = !context ? 'the token could not be decoded' : id === 'signature' && !context.key ? 'no key given (--public-key FILE)' : 'not reached';
    return { id, rule, status: 'skip', detail };
  }
  if (told.status === 'skip') return { id, rule, status: 'skip', detail: told.why };
  const denial = told.status === 'fail' ? told.denial : undefined;
  const words =
    id === 'size' ? { detail: `${token.length} characters` } : id === 'format' && denial ? formatWords(token, denial) : context ? WORDS[id](context, told.status, denial) : { detail: 'the token could not be decoded' };
  return { id, rule, status: told.status, detail: words.detail, ...(denial ? { reason: denial.reason } : {}), ...(words.fix ? { fix: words.fix } : {}) };
}

/** The decoder's own sentence, and the copy-and-paste damage it can be named as. */
function formatWords(token: string, denial: Denial): Pick<Outcome, 'detail' | 'fix'> {
  const hints = formatHints(token);
  return withFix([denial.detail, ...hints.map((h) => h.problem)].join('; '), hints.map((h) => h.fix).join('; ') || undefined);
}

/** Decodes and checks a token without trusting it: every rule's result, and the verdict the authorizer would reach. */
export function explainToken(token: string, options: ExplainOptions): Explanation {
  const now = Math.floor(options.nowSeconds);
  const record = new StepRecord();
  const verdict = verdictOf(token, now, options, record);
  const decoded = decodeCompactJws(token);
  // The pipeline stops at the first failure; the signature is still worth showing, through the same step.
  if (decoded.ok && options.key && !record.steps.has('signature')) checkSignature(signatureInputOf(decoded), [options.key], record);
  const context: Context | undefined = decoded.ok
    ? { header: decoded.header, claims: decoded.payload, now, tokenRules: options.tokenRules, key: options.key, signingInput: decoded.signingInput, signature: decoded.signature }
    : undefined;
  const rules = TOKEN_STEP_IDS.map((id) => rowOf(id, record.steps.get(id), context, token));

  return {
    nowSeconds: now,
    tokenRules: options.tokenRules,
    header: decoded.ok ? decoded.header : undefined,
    claims: decoded.ok ? decoded.payload : undefined,
    times: decoded.ok ? timesOf(decoded.payload, now) : {},
    rules,
    ...(options.certificate ? { certificate: certificateOf(options.certificate, decoded.ok ? decoded.payload : undefined, options.binding, options.certificatePins) } : {}),
    verdict,
  };
}

/** Both bindings and the pins checked by the core's own checks, whichever the name has; the words are explain's. */
function certificateOf(certificate: ClientCertificateFacts, claims: JsonObject | undefined, binding: BindingPolicy | undefined, pins: readonly string[] | undefined): CertificateExplanation {
  const checks: BindingCheck[] = [];
  const cnf = claims?.['cnf'];
  const thumbprint = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? cnf['x5t#S256'] : undefined;
  const sub = claims?.['sub'];
  const keyName = typeof sub === 'string' && sub.startsWith(SUBJECT_PREFIX) ? sub.slice(SUBJECT_PREFIX.length) : undefined;
  checks.push({
    policy: 'thumbprint',
    rule: "cnf x5t#S256 is the certificate's SHA-256 thumbprint",
    // The thumbprint binding does not read the key name.
    matches: claims !== undefined && checkCertificateBinding('thumbprint', keyName ?? '', claims, certificate) === undefined,
    detail:
      claims === undefined
        ? 'the token could not be decoded'
        : thumbprint === undefined
          ? 'the token has no cnf x5t#S256 claim (keygate token --cert FILE adds it)'
          : thumbprint === certificate.thumbprintSha256
            ? `both are ${certificate.thumbprintSha256}`
            : `the token has ${show(thumbprint)}, the certificate is ${certificate.thumbprintSha256}`,
  });
  checks.push({
    policy: 'subject',
    rule: 'the certificate CN is the key name',
    matches: claims !== undefined && keyName !== undefined && checkCertificateBinding('subject', keyName, claims, certificate) === undefined,
    detail: `CN ${certificate.commonName === undefined ? 'absent' : show(certificate.commonName)}, key name ${keyName === undefined ? 'unknown (no valid sub)' : show(keyName)}`,
  });
  const pinned = pins ? checkNameAccess({ certificatePins: new Set(pins) }, { nowSeconds: 0, certificate }, 0) === undefined : undefined;
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    thumbprintSha256: certificate.thumbprintSha256,
    spkiPinSha256: certificate.spkiPinSha256,
    ...(pins ? { pins: { listed: pins, matches: pinned === true } } : {}),
    binding,
    checks,
  };
}

/**
 * The authorizer's pipeline with what explain can see: the key given (as the name's only key), the
 * binding given and the certificate given. Revocation and replay depend on server state and are
 * not part of this verdict (SERVER_SIDE_CHECKS).
 */
function verdictOf(token: string, now: number, options: ExplainOptions, observer: StepObserver): Verdict {
  const { key } = options;
  const pins = options.certificatePins ? new Set(options.certificatePins) : undefined;
  const outcome = authorizeTokenSync(
    token,
    { nowSeconds: now, certificate: options.certificate },
    { tokenRules: options.tokenRules, defaultBinding: options.binding ?? 'none' },
    { lookUpKeys: key ? () => ({ keys: [key], binding: undefined, access: { certificatePins: pins } }) : undefined, observer },
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
