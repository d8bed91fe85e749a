import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { KeygateConfig } from '../core/config.js';
import { KeyMaterialError } from '../core/key-material.js';
import { KeyStoreError, KeyStoreIntegrityError, KeyStoreUnavailableError, type KeyStore } from '../key-store/key-store.js';
import { RevocationListConflictError, RevocationListIntegrityError, RevocationStoreUnavailableError, type RevocationStore } from '../revocation/revocation-store.js';
import { createLogger, createMetrics } from '../shared/observability.js';
import { certificateRevocationRoutes } from './certificate-revocation-routes.js';
import { errorResponse, HttpError } from './http.js';
import { keyRoutes } from './key-routes.js';
import type { AuditedAction, RouteTable } from './routes.js';

export interface RegistrationDependencies {
  readonly keyStore: KeyStore;
  readonly config: KeygateConfig;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Where revoked client certificates are listed; without it the /revocations routes answer 404. */
  readonly revocationStore?: RevocationStore | undefined;
}

export type RegistrationHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const STORE_ERROR_STATUS: Readonly<Record<KeyStoreError['code'], number>> = {
  unknown_key_name: 404,
  unknown_kid: 404,
  last_key: 409,
  too_many_keys: 409,
  name_revoked: 409,
  conflict: 409,
  invalid_next_token: 400,
  binding_mismatch: 409,
  access_mismatch: 409,
};

/** Maps every failure to a JSON error response: never a stack trace, never key material. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof KeyMaterialError) return new HttpError(400, error.code, error.message);
  if (error instanceof KeyStoreError) return new HttpError(STORE_ERROR_STATUS[error.code], error.code, error.message);
  if (error instanceof RevocationListConflictError) return new HttpError(409, 'conflict', error.message);
  // Both stores are Secrets Manager: one answer for either being out or holding a foreign value.
  if (error instanceof KeyStoreUnavailableError || error instanceof RevocationStoreUnavailableError) return new HttpError(503, 'key_store_unavailable', 'the key store is unavailable; try again shortly', { 'retry-after': '5' });
  if (error instanceof KeyStoreIntegrityError || error instanceof RevocationListIntegrityError) return new HttpError(500, 'key_store_integrity_error', 'a stored value is not in the keygate format; an operator must inspect it');
  return new HttpError(500, 'internal_error', 'an unexpected error occurred');
}

/**
 * The IAM-signed management API: key registration (/keys, key-routes.ts) and client-certificate
 * revocation (/revocations, certificate-revocation-routes.ts). This module routes, audits, counts
 * and maps failures. The deployed handler passes the Secrets Manager store; the local server passes
 * the file store.
 */
export function createRegistrationHandler(dependencies: RegistrationDependencies): RegistrationHandler {
  const { keyStore, config } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const logger = dependencies.logger ?? createLogger('registration');
  const metrics = dependencies.metrics ?? createMetrics();

  const routes: RouteTable = { ...keyRoutes(keyStore, config, now), ...certificateRevocationRoutes(dependencies.revocationStore, now) };

  const AUDIT_METRIC: Readonly<Record<AuditedAction, string>> = {
    add_key: 'KeyAdded',
    remove_key: 'KeyRemoved',
    revoke_name: 'NameRevoked',
    restore_name: 'NameRestored',
    revoke_certificate: 'CertificateRevoked',
    change_access: 'AccessChanged',
  };
  const AUDITED_METHODS = new Set(['PUT', 'DELETE', 'POST']);

  function audit(event: APIGatewayProxyEvent, action: string, outcome: string, details: Record<string, unknown>): void {
    logger.info('audit', { audit: true, action, outcome, caller: event.requestContext?.identity?.userArn ?? null, sourceIp: event.requestContext?.identity?.sourceIp, ...details });
  }

  async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const methods = Object.hasOwn(routes, event.resource) ? routes[event.resource] : undefined;
    if (!methods) return errorResponse(new HttpError(404, 'not_found', 'no such route'));
    const route = Object.hasOwn(methods, event.httpMethod) ? methods[event.httpMethod] : undefined;
    if (!route) {
      return errorResponse(new HttpError(405, 'method_not_allowed', `${event.httpMethod} is not allowed here`, { allow: Object.keys(methods).join(', ') }));
    }
    try {
      const result = await route(event);
      if (result.audit) {
        const { action, changed = true, ...details } = result.audit;
        audit(event, action, changed ? 'ok' : 'unchanged', details);
        if (changed) {
          // Flushed here, on the handler's one Metrics object (no per-call singleMetric(): it allocates a
          // Metrics and a Console each time): a read-only request has no metric, and an empty flush warns.
          metrics.addMetric(AUDIT_METRIC[action], MetricUnit.Count, 1);
          metrics.publishStoredMetrics();
        }
      }
      return result.response;
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError.statusCode >= 500) logger.error('registration failed', { error: (error as Error).name, errorMessage: (error as Error).message, status: httpError.statusCode });
      if (AUDITED_METHODS.has(event.httpMethod)) {
        audit(event, `${event.httpMethod} ${event.resource}`, `refused:${httpError.code}`, { keyName: event.pathParameters?.['name']?.slice(0, 64), status: httpError.statusCode });
      }
      return errorResponse(httpError);
    }
  }

  // logEvent: false wins over POWERTOOLS_LOGGER_LOG_EVENT=true: the event carries the request body.
  return middy(handle).use(injectLambdaContext(logger, { logEvent: false })) as unknown as RegistrationHandler;
}
