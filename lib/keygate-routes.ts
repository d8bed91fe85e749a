import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { KEYGATE_GATEWAY_RESPONSES } from './gateway-responses.js';

const JSON_TYPE = 'application/json';

/**
 * keygate's gateway responses on any REST API: a Deny becomes 401 with the public reason, a
 * missing token 401 Bearer, an authorizer failure 503, and every other gateway error JSON.
 */
export function addKeygateGatewayResponses(api: apigw.RestApi): void {
  for (const [id, response] of Object.entries(KEYGATE_GATEWAY_RESPONSES)) {
    const headers: Readonly<Record<string, string>> | undefined = 'headers' in response ? response.headers : undefined;
    api.addGatewayResponse(id, {
      type: apigw.ResponseType.of(response.type),
      ...('statusCode' in response ? { statusCode: String(response.statusCode) } : {}),
      // Static header values are single-quoted in API Gateway's mapping syntax.
      ...(headers ? { responseHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`])) } : {}),
      templates: { [JSON_TYPE]: response.template },
    });
  }
}

/** The IAM-signed registration routes: `/keys…`, and `/revocations` when the revocation list is on. */
export function addRegistrationRoutes(api: apigw.RestApi, registration: lambda.IFunction, revocations: boolean): void {
  const integration = new apigw.LambdaIntegration(registration, { allowTestInvoke: false });
  const iamOnly: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.IAM };
  const keys = api.root.addResource('keys');
  keys.addMethod('GET', integration, iamOnly);
  const name = keys.addResource('{name}');
  for (const method of ['GET', 'PUT', 'DELETE']) name.addMethod(method, integration, iamOnly);
  name.addResource('{kid}').addMethod('DELETE', integration, iamOnly);
  name.addResource('restore').addMethod('POST', integration, iamOnly);
  name.addResource('access').addMethod('PUT', integration, iamOnly);
  if (revocations) {
    const resource = api.root.addResource('revocations');
    for (const method of ['GET', 'POST']) resource.addMethod(method, integration, iamOnly);
  }
}

/** What the authorizer protects: every other route proxied to `backendUrl`, or `GET /whoami` served by the echo function. */
export type ProtectedBackend = { readonly backendUrl: string } | { readonly whoami: lambda.IFunction };

export function addProtectedRoutes(api: apigw.RestApi, authorizer: apigw.IAuthorizer, backend: ProtectedBackend): void {
  const authorized: apigw.MethodOptions = { authorizer };
  if ('whoami' in backend) {
    api.root.addResource('whoami').addMethod('GET', new apigw.LambdaIntegration(backend.whoami, { allowTestInvoke: false }), authorized);
    return;
  }
  const base = backend.backendUrl.replace(/\/+$/, '');
  const forward = (url: string, requestParameters: Record<string, string>) =>
    new apigw.HttpIntegration(url, {
      httpMethod: 'ANY',
      proxy: true,
      // The backend learns who called; API Gateway overwrites any such header the client sent.
      options: { requestParameters: { 'integration.request.header.X-Keygate-Key-Name': 'context.authorizer.keyName', ...requestParameters } },
    });
  api.root.addMethod('ANY', forward(`${base}/`, {}), authorized);
  api.root.addProxy({
    anyMethod: true,
    defaultIntegration: forward(`${base}/{proxy}`, { 'integration.request.path.proxy': 'method.request.path.proxy' }),
    defaultMethodOptions: { ...authorized, requestParameters: { 'method.request.path.proxy': true } },
  });
}
