import { describe, expect, it } from 'vitest';
import { KEYGATE_GATEWAY_RESPONSES, renderGatewayTemplate } from '../../lib/gateway-responses.js';

describe('gateway responses as data (one table for the stage and local mode)', () => {
  it('renders a Deny as API Gateway does: the public reason and its detail in the JSON body', () => {
    const detail = 'exp is 95 s in the past; the allowed clock skew is 30 s';
    const body = renderGatewayTemplate(KEYGATE_GATEWAY_RESPONSES.AccessDenied.template, { 'context.authorizer.error': 'invalid_token', 'context.authorizer.reason': 'token_expired', 'context.authorizer.detail': detail });

    expect(JSON.parse(body)).toEqual({ error: 'invalid_token', reason: 'token_expired', detail });
  });

  it('renders a route outside the permissions with the insufficient_scope error from the context, under the same static status and header', () => {
    const body = renderGatewayTemplate(KEYGATE_GATEWAY_RESPONSES.AccessDenied.template, { 'context.authorizer.error': 'insufficient_scope', 'context.authorizer.reason': 'insufficient_scope', 'context.authorizer.detail': '' });

    expect(JSON.parse(body)).toEqual({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' });
  });

  it('substitutes authorizer values unescaped, as API Gateway does (so a quote would break the body locally too)', () => {
    const body = renderGatewayTemplate(KEYGATE_GATEWAY_RESPONSES.AccessDenied.template, { 'context.authorizer.reason': 'a"b' });

    expect(body).toContain('"reason":"a"b"');
    expect(() => JSON.parse(body)).toThrow();
  });

  it('substitutes messageString with its quotes, as API Gateway does, and a missing value as empty', () => {
    const variables = { 'context.error.responseType': 'MISSING_AUTHENTICATION_TOKEN', 'context.error.messageString': 'Missing Authentication Token' };

    expect(JSON.parse(renderGatewayTemplate(KEYGATE_GATEWAY_RESPONSES.Default4xx.template, variables))).toEqual({ error: 'MISSING_AUTHENTICATION_TOKEN', message: 'Missing Authentication Token' });
    // An IAM denial on /keys… has no authorizer context: every field is empty.
    expect(JSON.parse(renderGatewayTemplate(KEYGATE_GATEWAY_RESPONSES.AccessDenied.template, {}))).toEqual({ error: '', reason: '', detail: '' });
  });

  it('keeps the deployed statuses and headers', () => {
    expect(KEYGATE_GATEWAY_RESPONSES.AccessDenied).toMatchObject({ type: 'ACCESS_DENIED', statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    expect(KEYGATE_GATEWAY_RESPONSES.Unauthorized).toMatchObject({ type: 'UNAUTHORIZED', statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    expect(KEYGATE_GATEWAY_RESPONSES.AuthorizerFailure).toMatchObject({ type: 'AUTHORIZER_FAILURE', statusCode: 503, headers: { 'Retry-After': '1' } });
  });
});
