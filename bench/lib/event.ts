import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/authorizer-request-event.json', import.meta.url), 'utf8')) as APIGatewayRequestAuthorizerEvent;

/** The API Gateway REST REQUEST authorizer fixture carrying one `Authorization` value, no client certificate. */
export function authorizerEvent(authorization: string): APIGatewayRequestAuthorizerEvent {
  const event = structuredClone(fixture);
  event.headers = { ...event.headers, Authorization: authorization };
  event.multiValueHeaders = { ...event.multiValueHeaders, Authorization: [authorization] };
  event.requestContext.identity.clientCert = null;
  return event;
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'keygate-authorizer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keygate-authorizer',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/keygate-authorizer',
  logStreamName: '2026/11/23/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 5000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;
