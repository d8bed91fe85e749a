import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';

const readFixture = <T>(name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
const fixture = readFixture<APIGatewayRequestAuthorizerEvent>('authorizer-request-event.json');
/** The same request on an API without mutual TLS: API Gateway sends no `identity.clientCert` at all. */
const fixtureWithoutClientCert = readFixture<APIGatewayRequestAuthorizerEvent>('authorizer-request-event-without-client-cert.json');

/** The API Gateway REST REQUEST authorizer fixture with the given Authorization value(s) and client certificate. */
export function authorizerEvent(options: { authorization?: string | string[] | undefined; clientCertPem?: string | undefined } = {}): APIGatewayRequestAuthorizerEvent {
  const event = structuredClone(options.clientCertPem ? fixture : fixtureWithoutClientCert);
  const values = options.authorization === undefined ? [] : Array.isArray(options.authorization) ? options.authorization : [options.authorization];
  const headers = { ...event.headers } as Record<string, string>;
  const multi = { ...event.multiValueHeaders } as Record<string, string[]>;
  delete headers['Authorization'];
  delete multi['Authorization'];
  if (values.length > 0) {
    headers['Authorization'] = values.at(-1) as string;
    multi['Authorization'] = values;
  }
  event.headers = headers;
  event.multiValueHeaders = multi;
  if (options.clientCertPem) (event.requestContext.identity.clientCert as { clientCertPem: string }).clientCertPem = options.clientCertPem;
  return event;
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'keygate-authorizer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keygate-authorizer',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/keygate-authorizer',
  logStreamName: '2026/11/23/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 5000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** The JSON lines among captured output (Powertools log lines, EMF documents, access-log lines). */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Everything written to stdout and stderr while `work` runs (Powertools logs and EMF metrics go there). */
export async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; output: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof stream.write;
  }
  try {
    return { result: await work(), error: undefined, output: chunks.join('') };
  } catch (error) {
    return { result: undefined, error, output: chunks.join('') };
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i] as typeof stream.write));
  }
}

const proxyFixture = JSON.parse(readFileSync(new URL('../fixtures/registration-proxy-event.json', import.meta.url), 'utf8')) as APIGatewayProxyEvent;

export interface ProxyEventOptions {
  readonly method: string;
  /** e.g. `/keys/{name}`; path parameters fill it in. */
  readonly resource: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string | null;
  readonly userArn?: string | null;
}

/** The IAM-signed REST proxy fixture for a /keys route. */
export function registrationEvent(options: ProxyEventOptions): APIGatewayProxyEvent {
  const event = structuredClone(proxyFixture);
  const params = options.pathParameters ?? {};
  event.resource = options.resource;
  event.httpMethod = options.method;
  event.path = options.resource.replace(/\{(\w+)\}/g, (_m, p: string) => encodeURIComponent(params[p] ?? ''));
  event.pathParameters = Object.keys(params).length ? params : null;
  event.queryStringParameters = options.query ?? null;
  event.body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const headers = { ...event.headers } as Record<string, string>;
  if (options.contentType === null) delete headers['Content-Type'];
  else if (options.contentType) headers['Content-Type'] = options.contentType;
  event.headers = headers;
  if (options.userArn !== undefined) event.requestContext.identity.userArn = options.userArn;
  event.requestContext.resourcePath = options.resource;
  event.requestContext.httpMethod = options.method;
  return event;
}
