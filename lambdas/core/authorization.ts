import { bindingOf, checkCertificateBinding, type BindingPolicy } from './certificate-binding.js';
import type { ClientCertificateFacts } from './client-certificate.js';
import { addedAtOf, checkKeyAge, type DatedKey } from './key-age.js';
import { isRouteAllowed, type NameAccess } from './name-access.js';
import { deny, type Denial } from './reasons.js';
import type { TokenRules } from './token-rules.js';
import type { StepObserver } from './token-steps.js';
import { checkSignature, checkTokenBeforeSignature, type UnverifiedToken, type VerificationKey, type VerifiedToken } from './token-checks.js';

/** What a key look-up found for a name. */
export interface KeyLookup {
  /** The name's usable keys (with their registration time when known); undefined for an unknown, revoked or deleted name. */
  readonly keys: readonly (VerificationKey & DatedKey)[] | undefined;
  /** The name's certificate binding, as stored (undefined: the default binding applies). */
  readonly binding: BindingPolicy | undefined;
  /** The name's route permissions and certificate pins (undefined: none, every route, any certificate). */
  readonly access?: NameAccess | undefined;
  /** `over-budget`: the name was not looked up at all (the unknown-name budget is spent); denied as unknown_key. */
  readonly source?: string;
}

export type FirstUse = 'first' | 'replayed';

/** The request's facts: when it is checked and the client certificate of its connection. */
export interface RequestFacts {
  readonly nowSeconds: number;
  /** Undefined when the request has none or it could not be read. */
  readonly certificate: ClientCertificateFacts | undefined;
  /**
   * The method and path the request calls (the REQUEST authorizer event's httpMethod and path).
   * Undefined: unknown, so a name with route permissions is refused (fail closed).
   */
  readonly route?: { readonly method: string; readonly path: string } | undefined;
}

export interface AuthorizationRules {
  readonly tokenRules: TokenRules;
  /** The binding of a name whose look-up recorded none. */
  readonly defaultBinding: BindingPolicy;
  /**
   * API Gateway's authorizer result cache TTL. It is keyed by the token alone, so a cached Allow
   * would be reused with any client certificate and on any route: above 0, a bound or pinned name
   * and a name with route permissions fail closed. @default 0
   */
  readonly authorizerCacheSeconds?: number;
  /** Keys registered more than this many days ago are refused (key_expired). @default - no limit */
  readonly maxKeyAgeDays?: number | undefined;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * What the pipeline asks of the state it cannot see. A dependency that is absent is not checked:
 * no revocation list, no replay table; without `lookUpKeys` the signature is not checked and an
 * otherwise passing token is `unverified` (keygate explain without a key). A dependency that fails
 * throws; the caller maps the fault (the authorizer fails closed).
 */
export interface AuthorizationDependencies<Lookup extends KeyLookup = KeyLookup> {
  /** `keyName` is the token's, for the caller's log. */
  readonly isRevoked?: ((certificate: ClientCertificateFacts, keyName: string) => MaybePromise<boolean>) | undefined;
  readonly lookUpKeys?: ((keyName: string) => MaybePromise<Lookup>) | undefined;
  /** Records the jti until `expiresAtSeconds`; `replayed` when it was recorded before. */
  readonly recordFirstUse?: ((keyName: string, jti: string, expiresAtSeconds: number) => MaybePromise<FirstUse>) | undefined;
  /** Told each step of the token checks and the signature (keygate explain's table); the decision is the same without. */
  readonly observer?: StepObserver | undefined;
}

/** The same dependencies, answering at once (tests, benchmarks, keygate explain). */
export interface SyncAuthorizationDependencies<Lookup extends KeyLookup = KeyLookup> {
  readonly isRevoked?: ((certificate: ClientCertificateFacts, keyName: string) => boolean) | undefined;
  readonly lookUpKeys?: ((keyName: string) => Lookup) | undefined;
  readonly recordFirstUse?: ((keyName: string, jti: string, expiresAtSeconds: number) => FirstUse) | undefined;
  readonly observer?: StepObserver | undefined;
}

/** The decision, its reason and the facts the caller logs. */
export type AuthorizationOutcome<Lookup extends KeyLookup = KeyLookup> =
  | {
      readonly decision: 'allow';
      readonly token: VerifiedToken;
      readonly lookup: Lookup;
      /** When the key that verified was registered; undefined when unknown (for the KeyAgeDays metric). */
      readonly keyAddedAtSeconds: number | undefined;
    }
  | { readonly decision: 'deny'; readonly denial: Denial; /** Known once the claims passed. */ readonly keyName: string | undefined }
  /** Every check but the signature passed: no key look-up was given. */
  | { readonly decision: 'unverified'; readonly token: UnverifiedToken };

type Step =
  | { readonly ask: 'isRevoked'; readonly certificate: ClientCertificateFacts; readonly keyName: string }
  | { readonly ask: 'lookUpKeys'; readonly keyName: string }
  | { readonly ask: 'recordFirstUse'; readonly keyName: string; readonly jti: string; readonly expiresAtSeconds: number };

type Answer<Lookup extends KeyLookup> = boolean | Lookup | FirstUse;

interface Checks {
  readonly revocation: boolean;
  readonly signature: boolean;
  readonly replay: boolean;
}

const denied = (denial: Denial, keyName?: string): AuthorizationOutcome<never> => ({ decision: 'deny', denial, keyName });

/**
 * THE order of the checks, written once: token before signature (cheapest first, no state), then
 * revocation (before the key look-up, so a revoked client costs no key read), keys and signature,
 * key age, certificate binding, certificate pins, route permissions, and replay last (so a refused
 * token never burns its jti). Each question to
 * a dependency is a yielded step; the drivers below answer it at once or asynchronously.
 */
function* authorizationSteps<Lookup extends KeyLookup>(
  bearerToken: string,
  request: RequestFacts,
  rules: AuthorizationRules,
  checks: Checks,
  observer: StepObserver | undefined,
): Generator<Step, AuthorizationOutcome<Lookup>, Answer<Lookup>> {
  const token = checkTokenBeforeSignature(bearerToken, request.nowSeconds, rules.tokenRules, observer);
  if (!token.ok) return denied(token);
  const { certificate } = request;

  if (checks.revocation) {
    // Fail closed: without a readable certificate there is nothing to prove it is not revoked.
    if (!certificate) return denied(deny('certificate_revoked', 'revocation is checked and the request has no readable client certificate'), token.keyName);
    if ((yield { ask: 'isRevoked', certificate, keyName: token.keyName }) === true) return denied(deny('certificate_revoked', 'the client certificate is on the revocation list'), token.keyName);
  }

  if (!checks.signature) {
    const mismatch = checkCertificateBinding(rules.defaultBinding, token.keyName, token.payload, certificate);
    return mismatch ? denied(mismatch, token.keyName) : { decision: 'unverified', token };
  }
  const lookup = (yield { ask: 'lookUpKeys', keyName: token.keyName }) as Lookup;
  if (lookup.source === 'over-budget') return denied(deny('unknown_key', 'not looked up: the unknown-name read budget of this container is spent'), token.keyName);

  const verified = checkSignature(token, lookup.keys, observer);
  if (!verified.ok) return denied(verified, token.keyName);
  // After the signature: only then is it known which of the name's keys is in use.
  const keyAddedAtSeconds = addedAtOf(lookup.keys, verified.kid);
  if (rules.maxKeyAgeDays !== undefined) {
    const tooOld = checkKeyAge(keyAddedAtSeconds, request.nowSeconds, rules.maxKeyAgeDays);
    if (tooOld) return denied(tooOld, verified.keyName);
  }

  const binding = bindingOf(lookup.binding, rules.defaultBinding);
  const cacheSeconds = rules.authorizerCacheSeconds ?? 0;
  if (binding !== 'none' && cacheSeconds > 0) {
    return denied(deny('client_certificate_mismatch', `the name's ${binding} binding cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=${cacheSeconds})`), verified.keyName);
  }
  const mismatch = checkCertificateBinding(binding, verified.keyName, verified.payload, certificate);
  if (mismatch) return denied(mismatch, verified.keyName);

  const accessDenial = checkNameAccess(lookup.access, request, cacheSeconds);
  if (accessDenial) return denied(accessDenial, verified.keyName);

  if (checks.replay) {
    const use = yield { ask: 'recordFirstUse', keyName: verified.keyName, jti: verified.jti, expiresAtSeconds: verified.exp + rules.tokenRules.clockSkewSeconds };
    if (use === 'replayed') return denied(deny('replayed_token', 'this jti was already used'), verified.keyName);
  }
  return { decision: 'allow', token: verified, lookup, keyAddedAtSeconds };
}

/** Pins, then routes: the checks a name's access settings add after the binding (keygate explain asks it too). */
export function checkNameAccess(access: NameAccess | undefined, request: RequestFacts, cacheSeconds: number): Denial | undefined {
  const { certificatePins: pins, routes } = access ?? {};
  if (pins) {
    // A cached Allow is keyed by the token alone: it would be reused on another certificate.
    if (cacheSeconds > 0) return deny('client_certificate_mismatch', `certificate pins cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=${cacheSeconds})`);
    if (!request.certificate) return deny('client_certificate_mismatch', 'the name is pinned and the request has no readable client certificate');
    if (!pins.has(request.certificate.spkiPinSha256)) return deny('client_certificate_mismatch', "the client certificate's SPKI pin is not one of the name's pins");
  }
  if (routes) {
    // A cached Allow is keyed by the token alone: it would be reused on another route.
    if (cacheSeconds > 0) return deny('insufficient_scope', `route permissions cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=${cacheSeconds})`);
    if (!request.route) return deny('insufficient_scope', 'the name has route permissions and the request route is unknown');
    if (!isRouteAllowed(routes, request.route.method, request.route.path)) return deny('insufficient_scope', "the request's method and path match none of the name's routes");
  }
  return undefined;
}

function checksOf(dependencies: AuthorizationDependencies<KeyLookup> | SyncAuthorizationDependencies<KeyLookup>): Checks {
  return { revocation: dependencies.isRevoked !== undefined, signature: dependencies.lookUpKeys !== undefined, replay: dependencies.recordFirstUse !== undefined };
}

function ask<Lookup extends KeyLookup>(step: Step, dependencies: AuthorizationDependencies<Lookup>): MaybePromise<Answer<Lookup>> {
  // Each step is asked only when its dependency is present (checksOf).
  switch (step.ask) {
    case 'isRevoked':
      return dependencies.isRevoked!(step.certificate, step.keyName);
    case 'lookUpKeys':
      return dependencies.lookUpKeys!(step.keyName);
    case 'recordFirstUse':
      return dependencies.recordFirstUse!(step.keyName, step.jti, step.expiresAtSeconds);
  }
}

/** The pipeline with dependencies that may answer asynchronously (the authorizer). */
export async function authorizeToken<Lookup extends KeyLookup>(
  bearerToken: string,
  request: RequestFacts,
  rules: AuthorizationRules,
  dependencies: AuthorizationDependencies<Lookup>,
): Promise<AuthorizationOutcome<Lookup>> {
  const steps = authorizationSteps<Lookup>(bearerToken, request, rules, checksOf(dependencies), dependencies.observer);
  let next = steps.next();
  while (!next.done) {
    const answer = ask(next.value, dependencies);
    // A cached answer is used as it is: awaiting it would cost a turn of the event loop per step.
    next = steps.next(answer instanceof Promise ? await answer : answer);
  }
  return next.value;
}

/** With a key look-up the signature is checked, so the outcome is never `unverified`. */
export type CheckedOutcome<Lookup extends KeyLookup = KeyLookup> = Exclude<AuthorizationOutcome<Lookup>, { readonly decision: 'unverified' }>;

/** The pipeline with dependencies that answer at once (verifyToken, keygate explain). */
export function authorizeTokenSync<Lookup extends KeyLookup>(
  bearerToken: string,
  request: RequestFacts,
  rules: AuthorizationRules,
  dependencies: SyncAuthorizationDependencies<Lookup> & { readonly lookUpKeys: (keyName: string) => Lookup },
): CheckedOutcome<Lookup>;
export function authorizeTokenSync<Lookup extends KeyLookup>(
  bearerToken: string,
  request: RequestFacts,
  rules: AuthorizationRules,
  dependencies: SyncAuthorizationDependencies<Lookup>,
): AuthorizationOutcome<Lookup>;
export function authorizeTokenSync<Lookup extends KeyLookup>(
  bearerToken: string,
  request: RequestFacts,
  rules: AuthorizationRules,
  dependencies: SyncAuthorizationDependencies<Lookup>,
): AuthorizationOutcome<Lookup> {
  const steps = authorizationSteps<Lookup>(bearerToken, request, rules, checksOf(dependencies), dependencies.observer);
  let next = steps.next();
  while (!next.done) next = steps.next(ask(next.value, dependencies) as Answer<Lookup>);
  return next.value;
}
