/**
 * The API's gateway responses as plain data: the stage's (lib/keygate-routes.ts) and local
 * mode's (cli/serve/local-gateway.ts) are built from this one table, so this module imports nothing.
 */
export interface KeygateGatewayResponse {
  /** API Gateway's response type. */
  readonly type: 'ACCESS_DENIED' | 'UNAUTHORIZED' | 'AUTHORIZER_FAILURE' | 'DEFAULT_4XX' | 'DEFAULT_5XX';
  /** @default - the status API Gateway chose for the error */
  readonly statusCode?: number;
  /** Header values as sent (the CDK side quotes them as static values). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The `application/json` body template with `$context` variables. */
  readonly template: string;
}

const ERROR_TEMPLATE = '{"error":"$context.error.responseType","message":$context.error.messageString}';

/** Construct ID → response. The IDs are part of the gateway responses' logical IDs: keep them. */
export const KEYGATE_GATEWAY_RESPONSES = {
  AccessDenied: {
    type: 'ACCESS_DENIED',
    statusCode: 401,
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    // A gateway response's headers take only request parameters or static values (API Gateway
    // developer guide, x-amazon-apigateway-gateway-responses.gatewayResponse); its body template
    // substitutes $context.authorizer.<key> unescaped. So the authorizer's sentence goes into the
    // body as `detail`, the header stays static, and the authorizer only sends text that needs no
    // escaping inside a JSON string (publicDetailOf).
    // One response type serves every Deny, so its status and this header are the same for all of
    // them: a route outside a name's permissions is a 401 too, told apart by the body's `error`
    // (`insufficient_scope`, RFC 6750) and `reason`. The status cannot be 403 for it alone.
    template: '{"error":"$context.authorizer.error","reason":"$context.authorizer.reason","detail":"$context.authorizer.detail"}',
  },
  Unauthorized: {
    type: 'UNAUTHORIZED',
    statusCode: 401,
    headers: { 'WWW-Authenticate': 'Bearer' },
    template: '{"error":"unauthorized","message":"Send Authorization: Bearer <token>"}',
  },
  AuthorizerFailure: {
    type: 'AUTHORIZER_FAILURE',
    statusCode: 503,
    headers: { 'Retry-After': '1' },
    template: '{"error":"service_unavailable","message":"The request could not be authorized right now; retry later"}',
  },
  Default4xx: { type: 'DEFAULT_4XX', template: ERROR_TEMPLATE },
  Default5xx: { type: 'DEFAULT_5XX', template: ERROR_TEMPLATE },
} as const satisfies Record<string, KeygateGatewayResponse>;

/** API Gateway substitutes this variable as a JSON string, quotes included; every other one as bare text, unescaped. */
const QUOTED_VARIABLES = new Set(['context.error.messageString']);

/**
 * Renders a body template the way API Gateway does: each `$context.…` variable is replaced by its
 * value, unescaped (missing values are empty), so local mode answers byte for byte as the stage,
 * and a value that would break the JSON breaks it locally too. The authorizer only puts text
 * that needs no escaping into its context (publicDetailOf, fixed reason codes).
 */
export function renderGatewayTemplate(template: string, variables: Readonly<Record<string, string | undefined>>): string {
  return template.replace(/\$(context(?:\.[A-Za-z]+)+)/g, (_, name: string) => {
    const value = variables[name] ?? '';
    return QUOTED_VARIABLES.has(name) ? JSON.stringify(value) : value;
  });
}
