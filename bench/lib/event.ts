import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizerEvent as fixtureEvent, lambdaContext } from '../../test/helpers/events.js';

/** The API Gateway REST REQUEST authorizer fixture carrying one `Authorization` value, no client certificate. */
export function authorizerEvent(authorization: string): APIGatewayRequestAuthorizerEvent {
  return fixtureEvent({ authorization });
}

export { lambdaContext };
