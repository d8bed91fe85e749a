import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_LOG_FIELDS } from './access-log-fields.js';
import { KeygateFunction } from './keygate-function.js';
import { KeygateAuthorizerFunction, KeygateRegistrationFunction, lambdaEntry } from './keygate-functions.js';
import { KeygateMonitoring } from './keygate-monitoring.js';
import { DEFAULT_AUTHORIZER_CACHE_TTL, defaultMetricNamespace, resolveKeygateConfig, validateKeygateApiProps, type KeygateApiProps } from './keygate-props.js';
import { addKeygateGatewayResponses, addProtectedRoutes, addRegistrationRoutes } from './keygate-routes.js';
import { acknowledgeWildcardResource } from './nag.js';
import { KeygateMtlsDomain } from './truststore/mtls-domain.js';

export { defaultRevocationSecretName, KeygateApiError, type KeygateApiProps, type KeygateRevocationOptions, type KeygateSettings, type KeygateThrottling } from './keygate-props.js';

/**
 * The keygate API: a regional REST API reachable only through a custom domain with mutual TLS,
 * a REQUEST authorizer for bearer tokens on every route but `/keys…`, and the IAM-signed
 * registration routes `/keys…` (and `/revocations` with `certificateRevocation`) for the support
 * role, with alarms and a dashboard. Replay protection, the revocation list and certificate
 * binding are opt-in props.
 */
export class KeygateApi extends Construct {
  readonly api: apigw.RestApi;
  readonly authorizer: apigw.RequestAuthorizer;
  readonly domain: apigw.DomainName;
  readonly mtlsDomain: KeygateMtlsDomain;
  readonly authorizerFunction: KeygateAuthorizerFunction;
  readonly registrationFunction: KeygateRegistrationFunction;
  /** The echo backend; undefined when `backendUrl` is set. */
  readonly whoamiFunction: KeygateFunction | undefined;
  readonly supportRole: iam.Role;
  readonly accessLogGroup: logs.LogGroup;
  /** The S3 key the truststore is copied to: `truststore/<sha256 of its content>.pem`. */
  readonly truststoreKey: string;
  readonly monitoring: KeygateMonitoring;
  /** Namespace of the functions' metrics. */
  readonly metricNamespace: string;
  readonly authorizerErrorsAlarm: cloudwatch.Alarm;
  readonly keyStoreFaultAlarm: cloudwatch.Alarm;
  /** Name of the revocation list secret; undefined unless `certificateRevocation` is set. */
  readonly revocationSecretName: string | undefined;
  /** Alarm on `ReplayTableFault`; undefined without replay protection. */
  readonly replayTableFaultAlarm: cloudwatch.Alarm | undefined;
  /** Alarm on `RevocationListFault`; undefined without a revocation list. */
  readonly revocationListFaultAlarm: cloudwatch.Alarm | undefined;

  constructor(scope: Construct, id: string, props: KeygateApiProps) {
    super(scope, id);
    const config = resolveKeygateConfig(props);
    validateKeygateApiProps(props, config);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const stageName = props.stageName ?? 'v1';
    const throttling = props.throttling ?? { rateLimit: 100, burstLimit: 200 };
    this.metricNamespace = props.metricNamespace ?? defaultMetricNamespace(stack.stackName);

    // 'Default' leaves the domain's path out of logical IDs: the domain, its mapping and its alias
    // record keep the IDs they had when this construct created them itself.
    this.mtlsDomain = new KeygateMtlsDomain(this, 'Default', props);
    this.domain = this.mtlsDomain.domain;
    this.truststoreKey = this.mtlsDomain.truststoreKey;

    const functionOptions = { ...props, logRetention, metricNamespace: this.metricNamespace };
    this.authorizerFunction = new KeygateAuthorizerFunction(this, 'Authorizer', functionOptions);
    this.registrationFunction = new KeygateRegistrationFunction(this, 'Registration', functionOptions);
    this.revocationSecretName = this.authorizerFunction.revocationSecretName;
    this.whoamiFunction = props.backendUrl
      ? undefined
      : new KeygateFunction(this, 'Whoami', {
          logRetention,
          logLevel: props.logLevel ?? 'INFO',
          metricNamespace: this.metricNamespace,
          entry: lambdaEntry('whoami/handler.ts'),
          description: 'keygate: echo backend for GET /whoami',
          memorySize: 128,
          timeout: Duration.seconds(5),
        });

    // The support role: the only principal allowed on /keys… (and /revocations).
    const supportPaths = ['/keys', '/keys/*', ...(this.revocationSecretName !== undefined ? ['/revocations'] : [])];
    const supportPrincipals = props.supportPrincipals?.length ? [...props.supportPrincipals] : [new iam.AccountRootPrincipal()];
    this.supportRole = new iam.Role(this, 'SupportRole', {
      assumedBy: new iam.CompositePrincipal(...supportPrincipals),
      description: 'keygate support staff: may call the registration API (/keys...) and nothing else',
      maxSessionDuration: Duration.hours(1),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-keygate`,
      description: 'keygate: mutual TLS and RS512 bearer tokens in front of an HTTP API',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      disableExecuteApiEndpoint: true,
      ...((props.createCloudWatchRole ?? true) ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : { cloudWatchRole: false }),
      policy: new iam.PolicyDocument({
        statements: [
          // Routes other than /keys… are protected by the authorizer.
          new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] }),
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: supportPaths.map((path) => `execute-api:/*/*${path}`),
            conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.supportRole.roleArn } },
          }),
        ],
      }),
      deployOptions: {
        stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Execution logs for errors only: INFO with data tracing would log Authorization headers.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
      },
    });
    // RestApi always outputs the execute-api URL, which is disabled here and would only mislead.
    this.api.node.tryRemoveChild('Endpoint');
    const registrationRoutes = supportPaths.map((path) => this.api.arnForExecuteApi('*', path, stageName));
    this.supportRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: registrationRoutes }));
    for (const route of registrationRoutes) {
      acknowledgeWildcardResource(
        this.supportRole,
        route,
        route.endsWith('/revocations')
          ? 'Both methods (GET, POST) of the registration route /revocations in this stage; the wildcard stands for the HTTP method only.'
          : 'Every method of the registration routes /keys and /keys/{name}/…, and nothing else of the API.',
      );
    }

    this.authorizer = this.authorizerFunction.requestAuthorizer(this, 'BearerAuthorizer', props.authorizerCacheTtl ?? DEFAULT_AUTHORIZER_CACHE_TTL);
    addKeygateGatewayResponses(this.api);
    addRegistrationRoutes(this.api, this.registrationFunction.function, this.revocationSecretName !== undefined);
    addProtectedRoutes(this.api, this.authorizer, this.whoamiFunction ? { whoami: this.whoamiFunction.function } : { backendUrl: props.backendUrl ?? '' });
    this.acknowledgeApiFindings();
    this.domain.addBasePathMapping(this.api, { stage: this.api.deploymentStage });

    this.monitoring = new KeygateMonitoring(this, 'Monitoring', {
      api: this.api,
      authorizerFunction: this.authorizerFunction.function,
      metricNamespace: this.metricNamespace,
      replayProtection: props.replayTable !== undefined,
      certificateRevocation: this.revocationSecretName !== undefined,
      alarmTopic: props.alarmTopic,
      alarmEmail: props.alarmEmail,
      keyAgeAlarmDays: props.keyAgeAlarmDays,
    });
    this.authorizerErrorsAlarm = this.monitoring.authorizerErrorsAlarm;
    this.keyStoreFaultAlarm = this.monitoring.keyStoreFaultAlarm;
    this.replayTableFaultAlarm = this.monitoring.replayTableFaultAlarm;
    this.revocationListFaultAlarm = this.monitoring.revocationListFaultAlarm;
  }

  private acknowledgeApiFindings(): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Requests are validated where the error contract lives: the authorizer (token rules, public reason codes) and the registration function (400/413/415 with stable JSON error codes); an API Gateway model would answer first, in another format.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Callers authenticate with mutual TLS plus RS512 tokens from registered keys (REQUEST authorizer), support staff with SigV4 (AWS_IAM); Cognito has no place in this design.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'The API sits behind mutual TLS and a token authorizer with stage throttling; a WAF web ACL is account-specific and can be associated with the stage by the operator.',
      },
    );
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-wide API Gateway logging role uses the AWS managed policy made for it; API Gateway needs it to write access and execution logs to any log group in the Region.',
      });
    }
  }
}
