/** The environment a deployed authorizer sees (as far as the code reads it), for child processes. */
export const LAMBDA_ENV = {
  PATH: process.env['PATH'],
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'keygate-authorizer',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  POWERTOOLS_SERVICE_NAME: 'keygate',
  POWERTOOLS_METRICS_NAMESPACE: 'keygate',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
