import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayEventClientCertificate, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_API_ID = 'keygate';
export const LOCAL_STAGE = 'local';

/** What the local gateway learned about a request before any handler runs. */
export interface LocalRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** The API Gateway resource template, e.g. `/keys/{name}`. */
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  readonly query: Record<string, string> | null;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly body: string | null;
  readonly sourceIp: string;
  readonly clientCert: APIGatewayEventClientCertificate | null;
  readonly receivedAt: number;
}

/** The client certificate as API Gateway REST puts it at requestContext.identity.clientCert. */
export function clientCertificateOf(socket: TLSSocket): APIGatewayEventClientCertificate | null {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) return null;
  const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  const facts = readClientCertificate(pem);
  return {
    clientCertPem: pem,
    subjectDN: facts.subject,
    issuerDN: facts.issuer,
    serialNumber: facts.serialNumber,
    // Node gives OpenSSL's text form ("Nov 23 18:12:00 2026 GMT"), as API Gateway does.
    validity: { notBefore: peer.valid_from, notAfter: peer.valid_to },
  };
}

/** Headers as API Gateway passes them: single values (last wins) and every value, names as sent. */
export function headersOf(request: IncomingMessage): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

export function newRequestId(): string {
  return randomUUID();
}

function methodArn(request: LocalRequest): string {
  return `arn:aws:execute-api:${LOCAL_STAGE}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/${LOCAL_STAGE}/${request.method}${request.path}`;
}

function requestContext(request: LocalRequest, userArn: string | null) {
  return {
    accountId: LOCAL_ACCOUNT,
    apiId: LOCAL_API_ID,
    stage: LOCAL_STAGE,
    requestId: request.requestId,
    requestTimeEpoch: request.receivedAt,
    resourceId: 'local',
    resourcePath: request.resource,
    httpMethod: request.method,
    path: `/${LOCAL_STAGE}${request.path}`,
    protocol: 'HTTP/1.1',
    identity: {
      sourceIp: request.sourceIp,
      userAgent: request.headers['user-agent'] ?? request.headers['User-Agent'] ?? null,
      userArn,
      clientCert: request.clientCert,
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      user: null,
    },
  };
}

/** The request fields that REQUEST authorizer events and proxy events share. */
function requestFields(request: LocalRequest) {
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers: request.headers,
    multiValueHeaders: request.multiValueHeaders,
    queryStringParameters: request.query,
    multiValueQueryStringParameters: null,
    pathParameters: request.pathParameters,
    stageVariables: null,
  };
}

export function authorizerEventFor(request: LocalRequest): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: methodArn(request),
    ...requestFields(request),
    requestContext: requestContext(request, null),
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

export function proxyEventFor(request: LocalRequest, options: { authorizer?: Record<string, unknown>; userArn?: string | null }): APIGatewayProxyEvent {
  return {
    ...requestFields(request),
    body: request.body,
    isBase64Encoded: false,
    requestContext: { ...requestContext(request, options.userArn ?? null), authorizer: options.authorizer ?? null },
  } as unknown as APIGatewayProxyEvent;
}
