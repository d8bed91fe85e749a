/**
 * keygate's CDK constructs, for use in another CDK app. `KeygateApi` is the whole service; the
 * pieces let a team protect an API it already has (see examples/cdk-app).
 */
export { ACCESS_LOG_FIELDS } from './access-log-fields.js';
export { KEYGATE_GATEWAY_RESPONSES, renderGatewayTemplate, type KeygateGatewayResponse } from './gateway-responses.js';
export { KeygateApi } from './keygate-api.js';
export { KEYGATE_RUNTIME, KeygateFunction, type KeygateFunctionProps, type PowertoolsLogLevel } from './keygate-function.js';
export { KeygateAuthorizerFunction, KeygateRegistrationFunction } from './keygate-functions.js';
export { KeygateMonitoring, type KeygateMonitoringProps } from './keygate-monitoring.js';
export {
  defaultMetricNamespace,
  defaultRevocationSecretName,
  KeygateApiError,
  type KeygateApiProps,
  type KeygateFunctionsOptions,
  type KeygateRevocationOptions,
  type KeygateSettings,
  type KeygateThrottling,
} from './keygate-props.js';
export { addKeygateGatewayResponses, addProtectedRoutes, addRegistrationRoutes, type ProtectedBackend } from './keygate-routes.js';
export { KeygateStack, type KeygateStackProps } from './keygate-stack.js';
export { KeygateStatefulStack, type KeygateStatefulStackProps } from './keygate-stateful-stack.js';
export { checkTruststore, TruststoreError } from './truststore/check-truststore.js';
export { KeygateMtlsDomain, type KeygateMtlsDomainProps } from './truststore/mtls-domain.js';
