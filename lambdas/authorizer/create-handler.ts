import { LogLevelThreshold, type Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { authorizeToken, type AuthorizationDependencies } from '../core/authorization.js';
import { extractBearerToken } from '../core/bearer.js';
import { readClientCertificate, type ClientCertificateFacts } from '../core/client-certificate.js';
import type { KeygateConfig } from '../core/config.js';
import { isNearKeyAgeLimit, keyAgeDays, SECONDS_PER_DAY } from '../core/key-age.js';
import { allowPolicy, denyPolicy } from '../core/policy.js';
import { publicDetailOf, type Denial } from '../core/reasons.js';
import { CachingKeyResolver, KeyIndexUnavailableError, type KeyCacheOptions, type KeyLookup } from '../key-store/key-cache.js';
import type { KeyStore } from '../key-store/key-store.js';
import type { ReplayGuard } from '../replay/replay-guard.js';
import { RevocationCache } from '../revocation/revocation-cache.js';
import type { RevocationStore } from '../revocation/revocation-store.js';
import { FAULT_METRICS, KEY_AGE_DAYS_METRIC, KEY_INDEX_MISSING_METRIC, KEY_STORE_INTEGRITY_METRIC, LOOKUP_METRICS } from '../shared/metric-names.js';
import { createLogger, createMetrics } from '../shared/observability.js';
import { KeyAgeWarnings } from './key-age-warnings.js';

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
      metrics.addMetric(KEY_STORE_INTEGRITY_METRIC, MetricUnit.Count, 1);
    },
    onIndexFault: (error) => logger.error('name index unreadable: names not cached fail closed until it is read again', { error: error.name, errorMessage: error.message }),
    onIndexMissing: () => {
      logger.warn('no name index: every name is read as without one, within the unknown-name budget (the next registration builds it)');
      metrics.addMetric(KEY_INDEX_MISSING_METRIC, MetricUnit.Count, 1);
    },
  });

  /** The pipeline's dependencies: each counts what it did and turns its failure into AUTHORIZER_FAILURE. */
  const pipelineDependencies: AuthorizationDependencies<KeyLookup> = {
    isRevoked: revocations
      ? async (certificate, keyName) => {
          try {
            return await revocations.isRevoked(certificate.issuerCanonical, certificate.serialNumber);
          } catch (error) {
            return unavailable('revocation list', error, keyName);
          }
        }
      : undefined,
    lookUpKeys: (keyName) => {
      let lookup;
      try {
        lookup = resolver.resolve(keyName);
      } catch (error) {
        return lookupFault(error, keyName);
      }
      if (lookup instanceof Promise) return lookup.then(countLookup, (error: unknown) => lookupFault(error, keyName));
      return countLookup(lookup);
    },
    recordFirstUse: dependencies.replayGuard
      ? async (keyName, jti, expiresAtSeconds) => {
          try {
            return await dependencies.replayGuard!.recordFirstUse(keyName, jti, expiresAtSeconds);
          } catch (error) {
            return unavailable('replay table', error, keyName);
          }
        }
      : undefined,
  };

  function countLookup(lookup: KeyLookup): KeyLookup {
    metrics.addMetric(LOOKUP_METRICS[lookup.source], MetricUnit.Count, 1);
    return lookup;
  }

  function lookupFault(error: unknown, keyName: string): never {
    return unavailable(error instanceof KeyIndexUnavailableError ? 'key index' : 'key store', error, keyName);
  }

  const keyAgeWarnings = new KeyAgeWarnings();

  /** The age of the key that verified, as the KeyAgeDays metric, and a warning (once per kid per hour) when it nears the limit. */
  function noteKeyAge(keyName: string, kid: string, addedAtSeconds: number | undefined, nowMs: number): void {
    if (addedAtSeconds === undefined) return;
    const ageDays = keyAgeDays(addedAtSeconds, nowMs / 1000);
    metrics.addMetric(KEY_AGE_DAYS_METRIC, MetricUnit.NoUnit, ageDays);
    const limit = config.maxKeyAgeDays;
    if (limit !== undefined && isNearKeyAgeLimit(ageDays, limit) && keyAgeWarnings.shouldWarn(kid, nowMs)) {
      logger.warn('key nears its age limit: register a new key for the name and remove this one', {
        keyName,
        kid,
        ageDays: Math.floor(ageDays),
        maxKeyAgeDays: limit,
        refusedFrom: new Date((addedAtSeconds + limit * SECONDS_PER_DAY) * 1000).toISOString(),
      });
    }
  }

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
    const certificate = clientCertificateOf(event);
    // The route of this request, from the event (not from the policy resources: the Allow stays one
    // stage-wide statement, and the route check runs per request; see README "Route permissions").
    const route = typeof event.httpMethod === 'string' && typeof event.path === 'string' ? { method: event.httpMethod, path: event.path } : undefined;
    const nowMs = now();
    const outcome = await authorizeToken(bearer.token, { nowSeconds: nowMs / 1000, certificate, route }, config, pipelineDependencies);
    if (outcome.decision === 'deny') return refuse(event, outcome.denial, outcome.keyName);
    if (outcome.decision !== 'allow') throw new AuthorizerUnavailableError('the signature was not checked'); // unreachable: lookUpKeys is given
    const { token: verified, lookup } = outcome;
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
    noteKeyAge(verified.keyName, verified.kid, outcome.keyAddedAtSeconds, nowMs);
    return allowPolicy(verified.keyName, event.methodArn, context) as unknown as APIGatewayAuthorizerResult;
  }

  // What middy with injectLambdaContext(logger, { logEvent: false }) and logMetrics(metrics) did,
  // written out (docs/performance.md: middy's request object, middleware arrays and promise chain
  // were a tenth of a warm call). The event is never logged: it carries the bearer token. No
  // early-timeout timer: every dependency call gives up within seconds on its own, so the
  // authorizer fails closed well before its Lambda timeout.
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    try {
      return await authorize(event);
    } finally {
      // One EMF document per invocation, on an allow, a denial or a fault alike.
      metrics.publishStoredMetrics();
      logger.clearBuffer();
    }
  };
}
