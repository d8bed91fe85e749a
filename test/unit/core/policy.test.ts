import { describe, expect, it } from 'vitest';
import { allowPolicy, denyPolicy, stageWildcardArn } from '../../../lambdas/core/policy.js';
import { INTERNAL_REASONS, toPublicReason } from '../../../lambdas/core/reasons.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders/42';

describe('authorizer policies', () => {
  it('allow covers the whole stage so a cached result is valid on every route', () => {
    const policy = allowPolicy('acme', METHOD_ARN, { keyName: 'acme' });
    expect(policy.policyDocument.Statement[0]).toEqual({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*' });
    expect(policy.principalId).toBe('acme');
  });

  it('deny carries the bearer error, the public reason and the detail in the context; the detail is empty unless given', () => {
    const policy = denyPolicy(METHOD_ARN, 'token_expired', 'exp is 31 s in the past; the allowed clock skew is 30 s');
    expect(policy.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(policy.context).toEqual({ error: 'invalid_token', reason: 'token_expired', detail: 'exp is 31 s in the past; the allowed clock skew is 30 s' });
    expect(denyPolicy(METHOD_ARN, 'invalid_signature').context).toEqual({ error: 'invalid_token', reason: 'invalid_signature', detail: '' });
    expect(denyPolicy(METHOD_ARN, 'insufficient_scope').context).toEqual({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' });
  });

  it('refuses something that is not a method ARN', () => {
    expect(() => stageWildcardArn('arn:aws:s3:::bucket')).toThrow();
  });

  it('public reasons never reveal whether a key name exists', () => {
    expect(toPublicReason('unknown_key')).toBe(toPublicReason('invalid_signature'));
    expect(toPublicReason('unknown_kid')).toBe(toPublicReason('invalid_signature'));
    for (const reason of INTERNAL_REASONS) expect(toPublicReason(reason)).toMatch(/^[a-z_]+$/);
  });
});
