import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { extractBearerToken } from '../core/bearer.js';
import { readClientCertificate, type ClientCertificateFacts } from '../core/client-certificate.js';
import type { KeygateConfig } from '../core/config.js';
import { allowPolicy, denyPolicy } from '../core/policy.js';
import type { Denial } from '../core/reasons.js';
import { checkSignature, checkTokenBeforeSignature } from '../core/verify-token.js';
import { CachingKeyResolver, type KeyCacheOptions } from '../key-store/key-cache.js';
import type { KeyStore } from '../key-store/key-store.js';
import { createLogger, createMetrics } from '../shared/observability.js';

export interface AuthorizerDependencies {
  readonly keyStore: Pick<KeyStore, 'getKeys'>;
  readonly config: KeygateConfig;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Overrides of the key cache's fixed bounds (tests and benchmarks). */
  readonly cache?: Partial<Pick<KeyCacheOptions, 'unknownNameBudget' | 'maxEntries'>>;
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
    const single = metrics.singleMetric();
    single.addDimension('reason', denial.reason);
    single.addMetric('Denied', MetricUnit.Count, 1);
    return denyPolicy(event.methodArn, denial.publicReason) as unknown as APIGatewayAuthorizerResult;
  }

  async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    const bearer = extractBearerToken(event.headers, event.multiValueHeaders);
    if (!bearer.ok) return refuse(event, bearer);
    const token = checkTokenBeforeSignature(bearer.token, now() / 1000, config.tokenRules);
    if (!token.ok) return refuse(event, token);

    let lookup;
    try {
      lookup = await resolver.resolve(token.keyName);
    } catch (error) {
      logger.error('key store unavailable: failing closed', { keyName: token.keyName, error: (error as Error).name, errorMessage: (error as Error).message });
      metrics.addMetric('KeyStoreFault', MetricUnit.Count, 1);
      throw new AuthorizerUnavailableError('the key store is unavailable');
    }
    metrics.addMetric(lookup.source === 'cache' ? 'KeyCacheHit' : lookup.source === 'stale' ? 'KeyCacheStale' : 'KeyCacheMiss', MetricUnit.Count, 1);

    const verified = checkSignature(token, lookup.keys);
    if (!verified.ok) return refuse(event, verified, token.keyName);

    const certificate = clientCertificateOf(event);
    const context: Record<string, string | number | boolean> = { keyName: verified.keyName, kid: verified.kid, jti: verified.jti, exp: verified.exp };
    if (certificate) {
      context['clientCertSubject'] = certificate.subject;
      context['clientCertSerial'] = certificate.serialNumber;
    }
    logger.info('allowed', { decision: 'allow', keyName: verified.keyName, kid: verified.kid, jti: verified.jti, exp: verified.exp, keySource: lookup.source, clientCertSerial: certificate?.serialNumber });
    metrics.addMetric('Allowed', MetricUnit.Count, 1);
    return allowPolicy(verified.keyName, event.methodArn, context) as unknown as APIGatewayAuthorizerResult;
  }

  return middy(authorize).use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as AuthorizerHandler;
}
