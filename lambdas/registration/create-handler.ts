import { createPublicKey } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { KeygateConfig } from '../core/config.js';
import { KeyMaterialError, parsePublicKeyInput } from '../core/key-material.js';
import { SUBJECT_PREFIX } from '../core/limits.js';
import { KeyStoreError, KeyStoreIntegrityError, KeyStoreUnavailableError, type KeyRecord, type KeyStore, type StoredKey } from '../key-store/key-store.js';
import { createLogger, createMetrics } from '../shared/observability.js';
import { errorResponse, HttpError, jsonResponse } from './http.js';
import { callerArn, keyNameParameter, kidParameter, listQuery, parseJsonBody, parseQuery, registerKeyBody, revokeCertificateBody } from './request.js';
import { canonicalDistinguishedName, normalizeSerialNumber } from '../core/revocation.js';
import type { RevocationStore } from '../revocation/revocation-store.js';

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

type Action = 'add_key' | 'remove_key' | 'revoke_name' | 'restore_name' | 'revoke_certificate';
interface RouteResult {
  readonly response: APIGatewayProxyResult;
  readonly audit?: {
    readonly action: Action;
    readonly keyName?: string;
    readonly kid?: string;
    readonly certificate?: { readonly issuer: string; readonly serialNumber: string };
    /** false: an idempotent repeat that changed nothing (logged, not counted as a change). */
    readonly changed?: boolean;
  };
}
type Route = (event: APIGatewayProxyEvent) => Promise<RouteResult>;

const STORE_ERROR_STATUS: Readonly<Record<KeyStoreError['code'], number>> = {
  unknown_key_name: 404,
  unknown_kid: 404,
  last_key: 409,
  too_many_keys: 409,
  name_revoked: 409,
  conflict: 409,
  invalid_next_token: 400,
  binding_mismatch: 409,
};

function publicView(record: KeyRecord, detailed: boolean) {
  return {
    name: record.name,
    subject: `${SUBJECT_PREFIX}${record.name}`,
    binding: record.binding ?? 'none',
    keys: record.keys.map((key) =>
      detailed
        ? { kid: key.kid, bits: key.bits, addedAt: key.addedAt, addedBy: key.addedBy, publicKeyPem: createPublicKey({ key: { ...key.jwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString() }
        : { kid: key.kid, bits: key.bits, addedAt: key.addedAt },
    ),
  };
}

/** Maps every failure to a JSON error response: never a stack trace, never key material. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof KeyMaterialError) return new HttpError(400, error.code, error.message);
  if (error instanceof KeyStoreError) return new HttpError(STORE_ERROR_STATUS[error.code], error.code, error.message);
  if (error instanceof KeyStoreUnavailableError) return new HttpError(503, 'key_store_unavailable', 'the key store is unavailable; try again shortly', { 'retry-after': '5' });
  if (error instanceof KeyStoreIntegrityError) return new HttpError(500, 'key_store_integrity_error', 'a stored value is not in the keygate format; an operator must inspect it');
  return new HttpError(500, 'internal_error', 'an unexpected error occurred');
}

/**
 * The key-registration API behind the IAM-signed /keys routes. The deployed handler passes the
 * Secrets Manager store; the local server passes the file store.
 */
export function createRegistrationHandler(dependencies: RegistrationDependencies): RegistrationHandler {
  const { keyStore, config } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const logger = dependencies.logger ?? createLogger('registration');
  const metrics = dependencies.metrics ?? createMetrics();

  function requireRevocationStore(): RevocationStore {
    if (!dependencies.revocationStore) throw new HttpError(404, 'revocation_disabled', 'client-certificate revocation is not enabled on this deployment');
    return dependencies.revocationStore;
  }

  const routes: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
    '/keys': {
      GET: async (event) => {
        const query = parseQuery(event, listQuery);
        const page = await keyStore.listNames({ limit: query.limit, nextToken: query.nextToken });
        return { response: jsonResponse(200, { items: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) }) };
      },
    },
    '/keys/{name}': {
      PUT: async (event) => {
        const name = keyNameParameter(event);
        const caller = callerArn(event);
        const body = parseJsonBody(event, registerKeyBody);
        const parsed = await parsePublicKeyInput(body.publicKey, { limits: config.keySizeLimits, now: now() });
        const key: StoredKey = { kid: parsed.kid, jwk: parsed.jwk, bits: parsed.bits, addedAt: now().toISOString(), addedBy: caller };
        const { outcome, record } = await keyStore.addKey(name, key, { binding: body.binding, defaultBinding: config.defaultBinding });
        const status = outcome === 'created' ? 201 : 200;
        return {
          response: jsonResponse(status, { ...publicView(record, false), outcome, kid: parsed.kid }, outcome === 'created' ? { location: `/keys/${name}` } : {}),
          audit: { action: 'add_key', keyName: name, kid: parsed.kid },
        };
      },
      GET: async (event) => {
        const name = keyNameParameter(event);
        const record = await keyStore.getKeys(name);
        if (!record) throw new HttpError(404, 'unknown_key_name', `no keys are registered under "${name}"`);
        return { response: jsonResponse(200, publicView(record, true)) };
      },
      DELETE: async (event) => {
        const name = keyNameParameter(event);
        callerArn(event);
        const revoked = await keyStore.revoke(name, config.recoveryWindowDays);
        return {
          response: jsonResponse(200, { name, revoked: true, restoreBefore: revoked.deletionDate }),
          audit: { action: 'revoke_name', keyName: name },
        };
      },
    },
    '/keys/{name}/{kid}': {
      DELETE: async (event) => {
        const name = keyNameParameter(event);
        const kid = kidParameter(event);
        callerArn(event);
        const record = await keyStore.removeKey(name, kid);
        return { response: jsonResponse(200, publicView(record, false)), audit: { action: 'remove_key', keyName: name, kid } };
      },
    },
    '/revocations': {
      GET: async () => {
        const entries = await requireRevocationStore().list();
        return { response: jsonResponse(200, { items: entries }) };
      },
      POST: async (event) => {
        const caller = callerArn(event);
        const body = parseJsonBody(event, revokeCertificateBody);
        const serialNumber = normalizeSerialNumber(body.serialNumber);
        if (!serialNumber) throw new HttpError(400, 'invalid_serial_number', 'serialNumber is hex, e.g. 0a:1b:2c or 0A1B2C');
        const issuer = canonicalDistinguishedName(body.issuer);
        if (!issuer) throw new HttpError(400, 'invalid_issuer', 'issuer is a distinguished name, e.g. "CN=Example CA,O=Example" or "/O=Example/CN=Example CA"');
        const entry = { issuer, serialNumber, revokedAt: now().toISOString(), revokedBy: caller, reason: body.reason };
        const { outcome } = await requireRevocationStore().add(entry);
        return {
          response: jsonResponse(outcome === 'added' ? 201 : 200, { outcome, issuer: entry.issuer, serialNumber }),
          audit: { action: 'revoke_certificate', certificate: { issuer: entry.issuer, serialNumber } },
        };
      },
    },
    '/keys/{name}/restore': {
      POST: async (event) => {
        const name = keyNameParameter(event);
        callerArn(event);
        const { outcome, record } = await keyStore.restore(name);
        return { response: jsonResponse(200, { ...publicView(record, false), outcome }), audit: { action: 'restore_name', keyName: name, changed: outcome === 'restored' } };
      },
    },
  };

  const AUDIT_METRIC: Readonly<Record<Action, string>> = {
    add_key: 'KeyAdded',
    remove_key: 'KeyRemoved',
    revoke_name: 'NameRevoked',
    restore_name: 'NameRestored',
    revoke_certificate: 'CertificateRevoked',
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
