import { LogLevelThreshold, type Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { extractBearerToken } from '../core/bearer.js';
import { readClientCertificate, type ClientCertificateFacts } from '../core/client-certificate.js';
import type { KeygateConfig } from '../core/config.js';
import { allowPolicy, denyPolicy } from '../core/policy.js';
import { checkCertificateBinding } from '../core/certificate-binding.js';
import { deny, publicDetailOf, type Denial } from '../core/reasons.js';
import { checkSignature, checkTokenBeforeSignature } from '../core/verify-token.js';
import { CachingKeyResolver, KeyIndexUnavailableError, type KeyCacheOptions } from '../key-store/key-cache.js';
import type { KeyStore } from '../key-store/key-store.js';
import type { ReplayGuard } from '../replay/replay-guard.js';
import { RevocationCache } from '../revocation/revocation-cache.js';
import type { RevocationStore } from '../revocation/revocation-store.js';
import { createLogger, createMetrics } from '../shared/observability.js';

export interface AuthorizerDependencies {
  /** With `readNameIndex`, made-up names are refused without a read (see key-cache.ts). */
  readonly keyStore: Pick<KeyStore, 'getKeys'> & Partial<Pick<KeyStore, 'readNameIndex'>>;
  readonly config: KeygateConfig;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Overrides of the key cache's fixed bounds (tests and benchmarks). */
  readonly cache?: Partial<Pick<KeyCacheOptions, 'unknownNameBudget' | 'maxEntries' | 'maxUnknownEntries'>>;
  /** When given, each accepted token's jti is recorded once and a second use is denied (replayed_token). */
  readonly replayGuard?: ReplayGuard | undefined;
  /** When given, client certificates on this list are denied (certificate_revoked). */
  readonly revocationStore?: Pick<RevocationStore, 'list'> | undefined;
}

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

/** Thrown when the key store fails: API Gateway answers AUTHORIZER_FAILURE (never a 401 that looks like a denial). */
export class AuthorizerUnavailableError extends Error {
  override readonly name = 'AuthorizerUnavailableError';
}

const CERTIFICATE_CACHE_SIZE = 256;

const LOOKUP_METRICS = { cache: 'KeyCacheHit', store: 'KeyCacheMiss', stale: 'KeyCacheStale', 'over-budget': 'UnknownNameBudgetExceeded', index: 'NameNotRegistered' } as const;

/** Faults of each dependency are counted apart from denials (and from each other). */
const FAULT_METRICS = { 'key store': 'KeyStoreFault', 'key index': 'KeyIndexFault', 'replay table': 'ReplayTableFault', 'revocation list': 'RevocationListFault' } as const;

/**
 * The REQUEST authorizer, built around a key store. The deployed handler passes the Secrets Manager
 * store; the local server passes the file store.
 */
export function createAuthorizerHandler(dependencies: AuthorizerDependencies): AuthorizerHandler {
  const { config, keyStore } = dependencies;
  const now = dependencies.now ?? Date.now;
  const logger = dependencies.logger ?? createLogger('authorizer');
  const metrics = dependencies.metrics ?? createMetrics();
  const certificates = new Map<string, ClientCertificateFacts | null>();
  const revocations = dependencies.revocationStore
    ? new RevocationCache(dependencies.revocationStore, { cacheSeconds: config.revocationCacheSeconds, staleIfErrorSeconds: config.staleIfErrorSeconds, now })
    : undefined;

  /** A dependency failed: fail closed with AUTHORIZER_FAILURE, counted apart from denials. */
  function unavailable(dependency: keyof typeof FAULT_METRICS, error: unknown, keyName: string): never {
    logger.error(`${dependency} unavailable: failing closed`, { keyName, error: (error as Error).name, errorMessage: (error as Error).message });
    metrics.addMetric(FAULT_METRICS[dependency], MetricUnit.Count, 1);
    throw new AuthorizerUnavailableError(`the ${dependency} is unavailable`);
  }

  const resolver = new CachingKeyResolver(keyStore, {
    keyCacheSeconds: config.keyCacheSeconds,
    unknownKeyCacheSeconds: config.unknownKeyCacheSeconds,
    staleIfErrorSeconds: config.staleIfErrorSeconds,
    keySizeLimits: config.keySizeLimits,
    now,
    ...dependencies.cache,
    onIntegrityError: (keyName, error) => {
      logger.error('key store integrity error: a stored key failed the key-material checks and is not used', { keyName, error: error.message });
      metrics.addMetric('KeyStoreIntegrityError', MetricUnit.Count, 1);
    },
    onIndexFault: (error) => logger.error('name index unreadable: names not cached fail closed until it is read again', { error: error.name, errorMessage: error.message }),
    onIndexMissing: () => {
      logger.warn('no name index: every name is read as without one, within the unknown-name budget (the next registration builds it)');
      metrics.addMetric('KeyIndexMissing', MetricUnit.Count, 1);
    },
  });

  function clientCertificateOf(event: APIGatewayRequestAuthorizerEvent): ClientCertificateFacts | undefined {
    const pem = event.requestContext?.identity?.clientCert?.clientCertPem;
    if (!pem) return undefined;
    let facts = certificates.get(pem);
    if (facts === undefined) {
      try {
        facts = readClientCertificate(pem);
      } catch {
        facts = null;
      }
      if (certificates.size >= CERTIFICATE_CACHE_SIZE) certificates.clear();
      certificates.set(pem, facts);
    }
    return facts ?? undefined;
  }

  function refuse(event: APIGatewayRequestAuthorizerEvent, denial: Denial, keyName?: string): APIGatewayAuthorizerResult {
    logger.info('denied', { decision: 'deny', reason: denial.reason, publicReason: denial.publicReason, detail: denial.detail, keyName, clientCertSerial: clientCertificateOf(event)?.serialNumber });
    // One EMF document per invocation (no singleMetric(): it builds a Metrics and a Console per call):
    // two dimension sets, so Denied is counted per reason and in total. logMetrics clears both sets
    // after each flush. The other metrics of a denied invocation get the reason dimension too.
    metrics.addDimensions({});
    metrics.addDimensions({ reason: denial.reason });
    metrics.addMetric('Denied', MetricUnit.Count, 1);
    return denyPolicy(event.methodArn, denial.publicReason, publicDetailOf(denial)) as unknown as APIGatewayAuthorizerResult;
  }

  async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    const bearer = extractBearerToken(event.headers, event.multiValueHeaders);
    if (!bearer.ok) return refuse(event, bearer);
    const token = checkTokenBeforeSignature(bearer.token, now() / 1000, config.tokenRules);
    if (!token.ok) return refuse(event, token);

    const certificate = clientCertificateOf(event);
    if (revocations) {
      // Fail closed: without a readable certificate there is nothing to prove it is not revoked.
      if (!certificate) return refuse(event, deny('certificate_revoked', 'revocation is checked and the request has no readable client certificate'), token.keyName);
      let revoked: boolean;
      try {
        revoked = await revocations.isRevoked(certificate.issuerCanonical, certificate.serialNumber);
      } catch (error) {
        return unavailable('revocation list', error, token.keyName);
      }
      if (revoked) return refuse(event, deny('certificate_revoked', 'the client certificate is on the revocation list'), token.keyName);
    }

    let lookup;
    try {
      lookup = await resolver.resolve(token.keyName);
    } catch (error) {
      return unavailable(error instanceof KeyIndexUnavailableError ? 'key index' : 'key store', error, token.keyName);
    }
    metrics.addMetric(LOOKUP_METRICS[lookup.source], MetricUnit.Count, 1);
    if (lookup.source === 'over-budget') {
      return refuse(event, deny('unknown_key', 'not looked up: the unknown-name read budget of this container is spent'), token.keyName);
    }

    const verified = checkSignature(token, lookup.keys);
    if (!verified.ok) return refuse(event, verified, token.keyName);

    const binding = lookup.binding ?? config.defaultBinding;
    // API Gateway's result cache is keyed by the token alone: a cached Allow would be reused with any
    // client certificate, so a bound name fails closed instead of being checked once.
    if (binding !== 'none' && config.authorizerCacheSeconds > 0) {
      return refuse(event, deny('client_certificate_mismatch', `the name's ${binding} binding cannot be enforced with the authorizer result cache on (KEYGATE_AUTHORIZER_CACHE_SECONDS=${config.authorizerCacheSeconds})`), verified.keyName);
    }
    const mismatch = checkCertificateBinding(binding, verified.keyName, verified.payload, certificate);
    if (mismatch) return refuse(event, mismatch, verified.keyName);

    if (dependencies.replayGuard) {
      let use: 'first' | 'replayed';
      try {
        // Recorded only now, after every other check passed, so a refused token never burns its jti.
        use = await dependencies.replayGuard.recordFirstUse(verified.keyName, verified.jti, verified.exp + config.tokenRules.clockSkewSeconds);
      } catch (error) {
        return unavailable('replay table', error, verified.keyName);
      }
      if (use === 'replayed') return refuse(event, deny('replayed_token', 'this jti was already used'), verified.keyName);
    }
    const context: Record<string, string | number | boolean> = { keyName: verified.keyName, kid: verified.kid, jti: verified.jti, exp: verified.exp };
    if (certificate) {
      context['clientCertSubject'] = certificate.subject;
      context['clientCertSerial'] = certificate.serialNumber;
    }
    // Allows are in the API's access log already (key name, kid, jti, certificate serial); here they are
    // DEBUG so the hot path does not pay for a second line per request. Denials stay at INFO.
    // The level check first: Powertools reads the X-Ray trace id from the environment on every call.
    if (logger.level <= LogLevelThreshold.DEBUG) {
      logger.debug('allowed', { decision: 'allow', keyName: verified.keyName, kid: verified.kid, jti: verified.jti, exp: verified.exp, keySource: lookup.source, clientCertSerial: certificate?.serialNumber });
    }
    metrics.addMetric('Allowed', MetricUnit.Count, 1);
    return allowPolicy(verified.keyName, event.methodArn, context) as unknown as APIGatewayAuthorizerResult;
  }

  // logEvent: false wins over POWERTOOLS_LOGGER_LOG_EVENT=true: the event carries the bearer token.
  // No early-timeout timer: every dependency call gives up within seconds on its own (so the
  // authorizer fails closed well before its Lambda timeout), and the per-call timer, extra promise
  // and race were measurable on the hot path.
  return middy(authorize, { timeoutEarlyInMillis: 0 }).use(injectLambdaContext(logger, { logEvent: false })).use(logMetrics(metrics)) as unknown as AuthorizerHandler;
}
