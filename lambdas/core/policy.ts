import type { PublicReason } from './reasons.js';

/** The IAM policy document an API Gateway Lambda authorizer returns. */
export interface AuthorizerPolicy {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly [{ readonly Action: 'execute-api:Invoke'; readonly Effect: 'Allow' | 'Deny'; readonly Resource: string }];
  };
  readonly context: Readonly<Record<string, string | number | boolean>>;
}

const METHOD_ARN = /^(arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:[A-Za-z0-9]+)\/([^/]+)\//;

/**
 * `arn:…:<apiId>/<stage>/*`: the policy covers the whole stage so that a cached result is valid
 * for every route (a policy scoped to one method ARN breaks authorizer caching).
 */
export function stageWildcardArn(methodArn: string): string {
  const match = METHOD_ARN.exec(methodArn);
  if (!match) throw new Error('methodArn is not an execute-api method ARN');
  return `${match[1]}/${match[2]}/*`;
}

export function allowPolicy(principalId: string, methodArn: string, context: AuthorizerPolicy['context']): AuthorizerPolicy {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcardArn(methodArn) }] },
    context,
  };
}

/**
 * The RFC 6750 error code of a denial: `insufficient_scope` when the token is good and the name may
 * not call the route, `invalid_token` for everything else.
 */
export function bearerErrorOf(reason: PublicReason): 'invalid_token' | 'insufficient_scope' {
  return reason === 'insufficient_scope' ? 'insufficient_scope' : 'invalid_token';
}

/**
 * A Deny; the API's ACCESS_DENIED gateway response puts `context.error` (bearerErrorOf),
 * `context.reason` and `context.detail` (a sentence from publicDetailOf, '' when the reason stays
 * generic) into the 401 body.
 */
export function denyPolicy(methodArn: string, reason: PublicReason, detail = ''): AuthorizerPolicy {
  return {
    principalId: 'anonymous',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: stageWildcardArn(methodArn) }] },
    context: { error: bearerErrorOf(reason), reason, detail },
  };
}
