import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/authorizer-request-event.json', import.meta.url), 'utf8')) as APIGatewayRequestAuthorizerEvent;

/** The API Gateway REST REQUEST authorizer fixture with the given Authorization value(s) and client certificate. */
export function authorizerEvent(options: { authorization?: string | string[] | undefined; clientCertPem?: string | undefined } = {}): APIGatewayRequestAuthorizerEvent {
  const event = structuredClone(fixture);
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
  if (options.clientCertPem) {
    (event.requestContext.identity.clientCert as { clientCertPem: string }).clientCertPem = options.clientCertPem;
  } else {
    event.requestContext.identity.clientCert = null;
  }
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
