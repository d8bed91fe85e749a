/**
 * The stage's JSON access-log format: field name → API Gateway context variable. Local mode
 * (`keygate serve`) writes lines with the same fields, so this module imports nothing.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  principalId: '$context.authorizer.principalId',
  keyName: '$context.authorizer.keyName',
  kid: '$context.authorizer.kid',
  jti: '$context.authorizer.jti',
  reason: '$context.authorizer.reason',
  authorizerError: '$context.authorizer.error',
  authorizerLatency: '$context.authorizer.latency',
  clientCertSerial: '$context.identity.clientCert.serialNumber',
  clientCertSubject: '$context.identity.clientCert.subjectDN',
  // Revocation is keyed by issuer and serial: the pair names one certificate.
  clientCertIssuer: '$context.identity.clientCert.issuerDN',
  iamPrincipal: '$context.identity.userArn',
  errorType: '$context.error.responseType',
} as const;
