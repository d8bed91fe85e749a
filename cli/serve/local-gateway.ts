import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import type { AuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import type { RegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { handler as whoami } from '../../lambdas/whoami/handler.js';
import { ACCESS_LOG_FIELDS } from '../../lib/access-log-fields.js';
import { KEYGATE_GATEWAY_RESPONSES, renderGatewayTemplate, type KeygateGatewayResponse } from '../../lib/gateway-responses.js';
import { authorizerEventFor, clientCertificateOf, headersOf, newRequestId, proxyEventFor, type LocalRequest } from './api-gateway-events.js';
import openApiDocument from '../../docs/openapi.json' with { type: 'json' };

const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

export interface LocalGatewayOptions {
  readonly authorizer: AuthorizerHandler;
  readonly registration: RegistrationHandler;
  /** The RFC 2253 subject of the certificate allowed on /keys (stands in for the IAM support role). */
  readonly supportSubject: string;
  /** Whether a client certificate is revoked; a revoked support certificate loses /keys at once. */
  readonly isRevoked: (canonicalIssuer: string, serialNumber: string) => Promise<boolean>;
  /** One JSON access-log line per request, with the deployed stage's fields. */
  readonly accessLog: (line: Record<string, unknown>) => void;
  /**
   * Every path and method other than /keys…, /revocations and /openapi.json is a protected route
   * answered by the echo backend, as deployed with a backend URL (`{proxy+}`); otherwise only
   * `GET /whoami` is, as deployed without one.
   */
  readonly anyRoute?: boolean;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface Route {
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  readonly kind: 'protected' | 'registration';
  readonly methods: readonly string[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Where local mode serves docs/openapi.json. */
export const OPENAPI_PATH = '/openapi.json';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A deployed gateway response (lib/gateway-responses.ts) rendered as the stage would, for `status` when the table leaves it to API Gateway. */
function deployedResponse(id: keyof typeof KEYGATE_GATEWAY_RESPONSES, variables: Record<string, string | undefined>, status?: number): GatewayReply {
  const response: KeygateGatewayResponse = KEYGATE_GATEWAY_RESPONSES[id];
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const body = renderGatewayTemplate(response.template, variables);
  return gatewayResponse(variables['context.error.responseType'] ?? response.type, { status: response.statusCode ?? status ?? 500, headers: { ...JSON_HEADERS, ...headers }, body });
}

/** A context value as the stage substitutes it: a value the authorizer did not set is ''. */
function textOf(value: unknown): string | undefined {
  return value === undefined ? undefined : String(value);
}

const GATEWAY_RESPONSES = {
  accessDenied: (context: APIGatewayAuthorizerResult['context']) =>
    deployedResponse('AccessDenied', {
      'context.authorizer.error': textOf(context?.['error']),
      'context.authorizer.reason': textOf(context?.['reason']),
      'context.authorizer.detail': textOf(context?.['detail']),
    }),
  unauthorized: () => deployedResponse('Unauthorized', {}),
  authorizerFailure: () => deployedResponse('AuthorizerFailure', {}),
  missingAuthenticationToken: () =>
    deployedResponse('Default4xx', { 'context.error.responseType': 'MISSING_AUTHENTICATION_TOKEN', 'context.error.messageString': 'Missing Authentication Token' }, 403),
  requestTooLarge: () => deployedResponse('Default4xx', { 'context.error.responseType': 'REQUEST_TOO_LARGE', 'context.error.messageString': 'Request Too Long' }, 413),
};

interface GatewayReply extends Reply {
  readonly responseType: string;
}

function gatewayResponse(responseType: string, reply: Reply): GatewayReply {
  return { ...reply, responseType };
}

/** Exactly the deployed access-log fields; as deployed, a field without a value is there, null. */
function accessLogLine(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(ACCESS_LOG_FIELDS).map((field) => [field, values[field] ?? null]));
}

/** A Lambda proxy result as the gateway sends it on. */
function proxyReply(response: { readonly statusCode: number; readonly headers?: Readonly<Record<string, boolean | number | string>> | undefined; readonly body: string }): Reply {
  return { status: response.statusCode, headers: Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k, String(v)])), body: response.body };
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Resource templates as deployed; a static segment (`restore`) wins over a variable one, as in API Gateway. */
function matchRoute(path: string, anyRoute: boolean): Route | undefined {
  const route = matchKeygateRoute(path);
  if (route || !anyRoute || path.split('/')[1] === 'keys') return route;
  return { resource: path === '/' ? '/' : '/{proxy+}', pathParameters: path === '/' ? null : { proxy: path.slice(1) }, kind: 'protected', methods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] };
}

function matchKeygateRoute(path: string): Route | undefined {
  const segments = path.split('/').slice(1);
  if (segments.length === 1 && segments[0] === 'whoami') return { resource: '/whoami', pathParameters: null, kind: 'protected', methods: ['GET'] };
  if (segments.length === 1 && segments[0] === 'revocations') return { resource: '/revocations', pathParameters: null, kind: 'registration', methods: ['GET', 'POST'] };
  if (segments[0] !== 'keys' || segments.some((s) => s === '')) return undefined;
  const decoded = segments.map(decodeSegment);
  if (decoded.some((s) => s === undefined)) return undefined;
  const [, name, third] = decoded as string[];
  if (segments.length === 1) return { resource: '/keys', pathParameters: null, kind: 'registration', methods: ['GET'] };
  if (segments.length === 2) return { resource: '/keys/{name}', pathParameters: { name: name as string }, kind: 'registration', methods: ['GET', 'PUT', 'DELETE'] };
  if (segments.length === 3 && third === 'restore') return { resource: '/keys/{name}/restore', pathParameters: { name: name as string }, kind: 'registration', methods: ['POST'] };
  if (segments.length === 3 && third === 'access') return { resource: '/keys/{name}/access', pathParameters: { name: name as string }, kind: 'registration', methods: ['PUT'] };
  if (segments.length === 3) return { resource: '/keys/{name}/{kid}', pathParameters: { name: name as string, kid: third as string }, kind: 'registration', methods: ['DELETE'] };
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string | null | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BODY_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

function lambdaContextFor(requestId: string, functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function isAllow(result: APIGatewayAuthorizerResult): boolean {
  const statement = result.policyDocument.Statement[0];
  return statement !== undefined && 'Effect' in statement && statement.Effect === 'Allow';
}

/**
 * The part of API Gateway that local mode reproduces: routing, the REQUEST authorizer in front of
 * protected routes, the gateway responses, and access logs. /keys is allowed to the support
 * certificate only, as the deployed API allows it to the IAM support role only.
 */
export function createLocalGateway(options: LocalGatewayOptions) {
  async function dispatch(request: LocalRequest, log: Record<string, unknown>): Promise<Reply> {
    // Local mode only (the deployed API does not serve it): the API description, open to any client
    // certificate the dev CA issued, so consumers can read the 401 shape too.
    if (request.path === OPENAPI_PATH && request.method === 'GET') {
      log['resourcePath'] = OPENAPI_PATH;
      return json(200, openApiDocument);
    }
    const route = matchRoute(request.path, options.anyRoute ?? false);
    if (!route || !route.methods.includes(request.method)) return GATEWAY_RESPONSES.missingAuthenticationToken();
    const routed: LocalRequest = { ...request, resource: route.resource, pathParameters: route.pathParameters };
    log['resourcePath'] = route.resource;

    if (route.kind === 'registration') {
      const facts = request.clientCert ? readClientCertificate(request.clientCert.clientCertPem) : undefined;
      if (!facts || facts.subject !== options.supportSubject || (await options.isRevoked(facts.issuerCanonical, facts.serialNumber))) {
        return json(403, { error: 'forbidden', message: 'this route is allowed only to the support client certificate (locally) or the IAM support role (deployed)' });
      }
      const userArn = `local-client-certificate:${facts.subject}`;
      log['iamPrincipal'] = userArn;
      const started = Date.now();
      const response = await options.registration(proxyEventFor(routed, { userArn }), lambdaContextFor(request.requestId, 'keygate-registration'));
      log['integrationLatency'] = Date.now() - started;
      return proxyReply(response);
    }

    const hasAuthorization = Object.keys(request.headers).some((name) => name.toLowerCase() === 'authorization');
    if (!hasAuthorization) return GATEWAY_RESPONSES.unauthorized();
    let decision: APIGatewayAuthorizerResult;
    const authorizerStarted = Date.now();
    try {
      decision = await options.authorizer(authorizerEventFor(routed), lambdaContextFor(request.requestId, 'keygate-authorizer'));
    } catch {
      log['authorizerError'] = 'AuthorizerFailure';
      return GATEWAY_RESPONSES.authorizerFailure();
    } finally {
      log['authorizerLatency'] = Date.now() - authorizerStarted;
    }
    log['principalId'] = decision.principalId;
    Object.assign(log, { keyName: decision.context?.['keyName'], kid: decision.context?.['kid'], jti: decision.context?.['jti'], reason: decision.context?.['reason'] });
    if (!isAllow(decision)) return GATEWAY_RESPONSES.accessDenied(decision.context);
    const started = Date.now();
    const response = await whoami(proxyEventFor(routed, { authorizer: { ...decision.context, principalId: decision.principalId } }));
    log['integrationLatency'] = Date.now() - started;
    return proxyReply(response);
  }

  return async function handleRequest(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const requestId = newRequestId();
    const url = new URL(incoming.url ?? '/', 'https://localhost');
    const clientCert = clientCertificateOf(incoming.socket as TLSSocket);
    const log: Record<string, unknown> = {
      requestId,
      requestTime: receivedAt,
      sourceIp: incoming.socket.remoteAddress,
      userAgent: incoming.headers['user-agent'],
      httpMethod: incoming.method,
      resourcePath: null,
      clientCertSerial: clientCert?.serialNumber,
      clientCertSubject: clientCert?.subjectDN,
      clientCertIssuer: clientCert?.issuerDN,
    };
    let reply: Reply;
    try {
      const body = await readBody(incoming);
      if (body === 'too_large') {
        reply = GATEWAY_RESPONSES.requestTooLarge();
      } else {
        const { headers, multiValueHeaders } = headersOf(incoming);
        const query = url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null;
        reply = await dispatch(
          { requestId, method: incoming.method ?? 'GET', path: url.pathname, resource: '', pathParameters: null, query, headers, multiValueHeaders, body, sourceIp: incoming.socket.remoteAddress ?? '', clientCert, receivedAt },
          log,
        );
      }
    } catch {
      reply = json(502, { error: 'internal_error', message: 'Internal server error' });
    }
    outgoing.writeHead(reply.status, { ...reply.headers, 'x-amzn-requestid': requestId });
    outgoing.end(reply.body);
    const errorType = 'responseType' in reply ? reply.responseType : null;
    options.accessLog(accessLogLine({ ...log, status: reply.status, responseLatency: Date.now() - receivedAt, errorType }));
  };
}
