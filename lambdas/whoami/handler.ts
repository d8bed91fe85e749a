import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * The built-in backend used when no `backendUrl` is configured: echoes who the authorizer and the
 * mutual TLS handshake say the caller is, so a fresh deployment can be tested at once.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const authorizer = event.requestContext.authorizer ?? {};
  const clientCert = event.requestContext.identity.clientCert;
  const body = {
    keyName: authorizer['keyName'] ?? null,
    kid: authorizer['kid'] ?? null,
    jti: authorizer['jti'] ?? null,
    exp: authorizer['exp'] ?? null,
    clientCertificate: clientCert ? { subjectDN: clientCert.subjectDN, issuerDN: clientCert.issuerDN, serialNumber: clientCert.serialNumber } : null,
    requestId: event.requestContext.requestId,
  };
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}
