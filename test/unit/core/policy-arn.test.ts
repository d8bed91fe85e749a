import { describe, expect, it } from 'vitest';
import { allowPolicy, denyPolicy, stageWildcardArn } from '../../../lambdas/core/policy.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders/42';

describe('stageWildcardArn', () => {
  it.each([
    [METHOD_ARN, 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*'],
    ['arn:aws-cn:execute-api:cn-north-1:123456789012:AbC9/v1/POST/', 'arn:aws-cn:execute-api:cn-north-1:123456789012:AbC9/v1/*'],
    ['arn:aws-us-gov:execute-api:us-gov-west-1:000000000000:x/$default/GET/a/b', 'arn:aws-us-gov:execute-api:us-gov-west-1:000000000000:x/$default/*'],
    ['arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*', 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*'],
  ])('%s → %s', (methodArn, expected) => {
    expect(stageWildcardArn(methodArn)).toBe(expected);
  });

  it.each([
    ['another service', 'arn:aws:s3:::bucket/prod/x'],
    ['text before', 'xarn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/'],
    ['an upper-case partition', 'arn:AWS:execute-api:eu-west-1:123456789012:abc123/prod/GET/'],
    ['an upper-case region', 'arn:aws:execute-api:EU-WEST-1:123456789012:abc123/prod/GET/'],
    ['an 11-digit account', 'arn:aws:execute-api:eu-west-1:12345678901:abc123/prod/GET/'],
    ['a 13-digit account', 'arn:aws:execute-api:eu-west-1:1234567890123:abc123/prod/GET/'],
    ['an account with a letter', 'arn:aws:execute-api:eu-west-1:12345678901a:abc123/prod/GET/'],
    ['an API id with a dash', 'arn:aws:execute-api:eu-west-1:123456789012:abc-123/prod/GET/'],
    ['no API id', 'arn:aws:execute-api:eu-west-1:123456789012:/prod/GET/'],
    ['no stage', 'arn:aws:execute-api:eu-west-1:123456789012:abc123//GET/'],
    ['no method after the stage', 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod'],
    ['no partition', 'arn::execute-api:eu-west-1:123456789012:abc123/prod/GET/'],
    ['no region', 'arn:aws:execute-api::123456789012:abc123/prod/GET/'],
  ])('refuses %s', (_label, methodArn) => {
    expect(() => stageWildcardArn(methodArn)).toThrow(new Error('methodArn is not an execute-api method ARN'));
  });
});

describe('policies', () => {
  it('allow: the principal, one Allow statement over the stage, and the context as given', () => {
    expect(allowPolicy('acme', METHOD_ARN, { keyName: 'acme', exp: 5, bound: true })).toStrictEqual({
      principalId: 'acme',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*' }] },
      context: { keyName: 'acme', exp: 5, bound: true },
    });
  });

  it('deny: an anonymous principal, one Deny statement over the stage, the reason and the detail', () => {
    expect(denyPolicy(METHOD_ARN, 'token_expired', 'exp is 31 s in the past')).toStrictEqual({
      principalId: 'anonymous',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*' }] },
      context: { error: 'invalid_token', reason: 'token_expired', detail: 'exp is 31 s in the past' },
    });
    expect(denyPolicy(METHOD_ARN, 'invalid_signature').context).toStrictEqual({ error: 'invalid_token', reason: 'invalid_signature', detail: '' });
    expect(denyPolicy(METHOD_ARN, 'insufficient_scope').context).toStrictEqual({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' });
  });

  it('neither policy is built for something that is not a method ARN', () => {
    expect(() => allowPolicy('acme', 'arn:aws:s3:::b', {})).toThrow('methodArn is not an execute-api method ARN');
    expect(() => denyPolicy('arn:aws:s3:::b', 'malformed_token')).toThrow('methodArn is not an execute-api method ARN');
  });
});
