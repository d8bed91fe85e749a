import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from '../lambdas/core/certificate-binding.js';
import { readConfig, type KeygateConfig } from '../lambdas/core/config.js';
import { ACCESS_LOG_FIELDS } from './access-log-fields.js';
import { KeygateFunction, type PowertoolsLogLevel } from './keygate-function.js';
import { acknowledgeWildcardResource } from './nag.js';
import { checkTruststore, TruststoreError } from './truststore/check-truststore.js';

/** Settings passed to the functions as `KEYGATE_*` variables (DESIGN.md, "Configuration"); bounds are checked at synth. */
export interface KeygateSettings {
  /** Prefix of the per-name secrets. @default 'keygate/keys/' */
  readonly secretPrefix?: string;
  /** 0 to 300. @default 30 */
  readonly clockSkewSeconds?: number;
  /** 60 to 1800. @default 1800 */
  readonly maxTokenLifetimeSeconds?: number;
  /** 0 to 900. @default 60 */
  readonly keyCacheSeconds?: number;
  /** 0 to 300. @default 10 */
  readonly unknownKeyCacheSeconds?: number;
  /** 0 to 3600. @default 300 */
  readonly staleIfErrorSeconds?: number;
  /** 2048 to 8192. @default 2048 */
  readonly minKeyBits?: number;
  /** 2048 to 8192, at least `minKeyBits`. @default 4096 */
  readonly maxKeyBits?: number;
  /** 7 to 30. @default 7 */
  readonly recoveryWindowDays?: number;
}

/** The client-certificate revocation list (API Gateway itself never checks revocation). */
export interface KeygateRevocationOptions {
  /**
   * Name of the Secrets Manager secret holding the list; created by the first `POST /revocations`.
   * It must lie outside `secretPrefix`, or it would be read and listed as a key name.
   * @default - `revoked-certificates` in the namespace of `secretPrefix`: `keygate/revoked-certificates` for `keygate/keys/`
   */
  readonly secretName?: string;
  /** 0 to 900: how long an authorizer container reuses the list before reading it again. @default 60 */
  readonly cacheSeconds?: number;
}

export interface KeygateThrottling {
  /** Steady-state requests per second for the stage. */
  readonly rateLimit: number;
  /** Burst capacity for the stage. */
  readonly burstLimit: number;
}

export interface KeygateApiProps {
  /** The custom domain clients call, e.g. `api.example.com`. */
  readonly domainName: string;
  /** A regional ACM certificate for `domainName`, in the stack's region. */
  readonly certificate: acm.ICertificate;
  /** The versioned bucket the truststore is copied into (see `KeygateStatefulStack`). */
  readonly truststoreBucket: s3.IBucket;
  /** Path of the local PEM bundle of client CA certificates; checked at synth. */
  readonly truststorePath: string;
  /** Zone in which to create an alias A record for `domainName`. @default - no record: point DNS at the regional domain name yourself */
  readonly hostedZone?: route53.IHostedZone;
  /** HTTPS URL of the backend that authorized requests are proxied to. @default - `GET /whoami` served by the built-in echo function */
  readonly backendUrl?: string;
  /** Principals allowed to assume the support role. @default - the account itself: any principal its IAM policies allow to assume the role */
  readonly supportPrincipals?: readonly iam.IPrincipal[];
  /** Authorizer result cache; 0 to 300 s, below the maximum token lifetime. @default Duration.seconds(0) */
  readonly authorizerCacheTtl?: Duration;
  /** @default 'v1' */
  readonly stageName?: string;
  /** Stage-wide throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: KeygateThrottling;
  /** Retention of function and access logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Powertools log level of the functions. @default 'INFO' */
  readonly logLevel?: PowertoolsLogLevel;
  /**
   * Create the regional, account-wide API Gateway CloudWatch role (`AWS::ApiGateway::Account`) that
   * access logging needs. Set to false when the account already has one. The role is retained on
   * deletion because other APIs in the account may rely on it.
   * @default true
   */
  readonly createCloudWatchRole?: boolean;
  /** @default - DESIGN.md defaults */
  readonly settings?: KeygateSettings;
  /**
   * Replay protection: the table (see `KeygateStatefulStack`) in which the authorizer records each
   * accepted token's `jti` once; a second use is denied. Needs `authorizerCacheTtl` 0, since a
   * cached Allow would skip the check. @default - off
   */
  readonly replayTable?: dynamodb.ITable;
  /** Deny client certificates that support staff revoked (`/revocations`). @default - off */
  readonly certificateRevocation?: KeygateRevocationOptions;
  /** Certificate binding given to names registered without one. @default 'none' */
  readonly defaultBinding?: BindingPolicy;
}

/** A prop value the construct cannot use; the message names the prop and the value. */
export class KeygateApiError extends Error {
  override readonly name = 'KeygateApiError';
}

const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_AUTHORIZER_CACHE_SECONDS = 300;

/**
 * `revoked-certificates` next to the key prefix's last segment: `keygate/keys/` gives
 * `keygate/revoked-certificates`; a prefix without a namespace gives `keygate-revoked-certificates`.
 */
export function defaultRevocationSecretName(secretPrefix: string): string {
  const trimmed = secretPrefix.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? `${trimmed.slice(0, slash + 1)}revoked-certificates` : 'keygate-revoked-certificates';
}

function lambdaEntry(relative: string): string {
  return fileURLToPath(new URL(`../lambdas/${relative}`, import.meta.url));
}

function settingsEnvironment(settings: KeygateSettings): Record<string, string | undefined> {
  const text = (value: number | undefined) => (value === undefined ? undefined : String(value));
  return {
    KEYGATE_SECRET_PREFIX: settings.secretPrefix,
    KEYGATE_CLOCK_SKEW_SECONDS: text(settings.clockSkewSeconds),
    KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: text(settings.maxTokenLifetimeSeconds),
    KEYGATE_KEY_CACHE_SECONDS: text(settings.keyCacheSeconds),
    KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: text(settings.unknownKeyCacheSeconds),
    KEYGATE_STALE_IF_ERROR_SECONDS: text(settings.staleIfErrorSeconds),
    KEYGATE_MIN_KEY_BITS: text(settings.minKeyBits),
    KEYGATE_MAX_KEY_BITS: text(settings.maxKeyBits),
    KEYGATE_RECOVERY_WINDOW_DAYS: text(settings.recoveryWindowDays),
  };
}

function validatedSettings(props: KeygateApiProps): KeygateConfig {
  const settings = props.settings ?? {};
  if (props.defaultBinding !== undefined && !isBindingPolicy(props.defaultBinding)) {
    throw new KeygateApiError(`KeygateApi: defaultBinding ${JSON.stringify(props.defaultBinding)} is invalid: use one of ${BINDING_POLICIES.join(', ')}`);
  }
  const revocation = props.certificateRevocation;
  const revocationSecret = revocation ? (revocation.secretName ?? defaultRevocationSecretName(settings.secretPrefix || 'keygate/keys/')) : undefined;
  try {
    // The functions' own validation, run at synth, so a bad value never reaches a cold start.
    // The replay table's name is a CloudFormation reference here, so it is not checked.
    return readConfig({
      ...settingsEnvironment(settings),
      KEYGATE_DEFAULT_BINDING: props.defaultBinding,
      KEYGATE_REVOCATION_SECRET: revocationSecret !== undefined && !Token.isUnresolved(revocationSecret) ? revocationSecret : undefined,
      KEYGATE_REVOCATION_CACHE_SECONDS: revocation?.cacheSeconds === undefined ? undefined : String(revocation.cacheSeconds),
    });
  } catch (error) {
    throw new KeygateApiError(`KeygateApi: invalid settings: ${(error as Error).message}`);
  }
}

function validateProps(props: KeygateApiProps, config: KeygateConfig): void {
  if (!Token.isUnresolved(props.domainName) && !DNS_NAME.test(props.domainName)) {
    throw new KeygateApiError(`KeygateApi: domainName ${JSON.stringify(props.domainName)} is not a lowercase DNS name such as api.example.com`);
  }
  if (props.backendUrl !== undefined) {
    const url = URL.canParse(props.backendUrl) ? new URL(props.backendUrl) : undefined;
    if (url?.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw new KeygateApiError(`KeygateApi: backendUrl ${JSON.stringify(props.backendUrl)} must be an https:// URL without credentials, query or fragment`);
    }
  }
  const ttl = props.authorizerCacheTtl?.toSeconds();
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_AUTHORIZER_CACHE_SECONDS || (ttl > 0 && ttl >= config.tokenRules.maxLifetimeSeconds))) {
    throw new KeygateApiError(
      `KeygateApi: authorizerCacheTtl ${ttl}s is invalid: use 0 to ${MAX_AUTHORIZER_CACHE_SECONDS} seconds, below the maximum token lifetime (${config.tokenRules.maxLifetimeSeconds}s)`,
    );
  }
  if (props.replayTable && ttl !== undefined && ttl > 0) {
    throw new KeygateApiError(`KeygateApi: authorizerCacheTtl ${ttl}s cannot be used with replayTable: a cached Allow would skip the replay check; set it to 0 or leave out replayTable`);
  }
  // The cache is keyed by the Authorization header only: a cached decision would be reused with any
  // client certificate, so neither a binding nor a revocation would be checked for it.
  if (ttl !== undefined && ttl > 0 && (props.certificateRevocation || (props.defaultBinding ?? 'none') !== 'none')) {
    throw new KeygateApiError(
      `KeygateApi: authorizerCacheTtl ${ttl}s cannot be used with ${props.certificateRevocation ? 'certificateRevocation' : `defaultBinding ${props.defaultBinding}`}: a cached decision is reused whatever client certificate comes with the token; set it to 0`,
    );
  }
  const revocationSecret = config.revocationSecret;
  if (revocationSecret !== undefined && revocationSecret.startsWith(config.secretPrefix)) {
    throw new KeygateApiError(
      `KeygateApi: certificateRevocation.secretName ${JSON.stringify(revocationSecret)} is inside the key prefix ${config.secretPrefix}: it would be listed and read as a key name; set a name outside the prefix${defaultRevocationSecretName(config.secretPrefix).startsWith(config.secretPrefix) ? '' : `, such as ${defaultRevocationSecretName(config.secretPrefix)}`}`,
    );
  }
  if (props.stageName !== undefined && !STAGE_NAME.test(props.stageName)) {
    throw new KeygateApiError(`KeygateApi: stageName ${JSON.stringify(props.stageName)} may use only A-Za-z0-9_- (1 to 128 characters)`);
  }
  const { rateLimit, burstLimit } = props.throttling ?? { rateLimit: 1, burstLimit: 1 };
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new KeygateApiError(`KeygateApi: throttling ${JSON.stringify(props.throttling)} is invalid: rateLimit must be above 0 and burstLimit a positive integer`);
  }
  const zoneName = props.hostedZone?.zoneName;
  if (zoneName !== undefined && !Token.isUnresolved(zoneName) && !Token.isUnresolved(props.domainName)) {
    const zone = zoneName.replace(/\.$/, '');
    if (props.domainName !== zone && !props.domainName.endsWith(`.${zone}`)) {
      throw new KeygateApiError(`KeygateApi: domainName ${props.domainName} is not inside the hosted zone ${zone}`);
    }
  }
}

function readTruststore(path: string): { pem: string; warnings: readonly string[] } {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeygateApiError(`KeygateApi: cannot read the truststore ${path}: ${(error as Error).message}`);
  }
  const report = checkTruststore(pem);
  if (report.errors.length > 0) throw new TruststoreError(report, `the truststore ${path}`);
  return { pem, warnings: report.warnings };
}


const JSON_TYPE = 'application/json';

/**
 * The keygate API: a regional REST API reachable only through a custom domain with mutual TLS,
 * a REQUEST authorizer for bearer tokens on every route but `/keys…`, and the IAM-signed
 * registration routes `/keys…` (and `/revocations` with `certificateRevocation`) for the support
 * role. Replay protection, the revocation list and certificate binding are opt-in props.
 */
export class KeygateApi extends Construct {
  readonly api: apigw.RestApi;
  readonly authorizer: apigw.RequestAuthorizer;
  readonly domain: apigw.DomainName;
  readonly authorizerFunction: KeygateFunction;
  readonly registrationFunction: KeygateFunction;
  /** The echo backend; undefined when `backendUrl` is set. */
  readonly whoamiFunction: KeygateFunction | undefined;
  readonly supportRole: iam.Role;
  readonly accessLogGroup: logs.LogGroup;
  /** The S3 key the truststore is copied to: `truststore/<sha256 of its content>.pem`. */
  readonly truststoreKey: string;
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
    const config = validatedSettings(props);
    validateProps(props, config);
    this.revocationSecretName = props.certificateRevocation ? (props.certificateRevocation.secretName ?? defaultRevocationSecretName(config.secretPrefix)) : undefined;
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const stageName = props.stageName ?? 'v1';
    const throttling = props.throttling ?? { rateLimit: 100, burstLimit: 200 };

    const { pem, warnings } = readTruststore(props.truststorePath);
    for (const warning of warnings) Annotations.of(this).addWarningV2('keygate:truststore', `truststore ${props.truststorePath}: ${warning}`);
    this.truststoreKey = `truststore/${createHash('sha256').update(pem).digest('hex')}.pem`;

    // Functions and their least-privilege access to the per-name secrets.
    const secretArns = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${config.secretPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const secretsReason = `One secret per key name is created at run time under the prefix ${config.secretPrefix}, and secret ARNs end in a random suffix, so the prefix wildcard is the narrowest possible scope.`;
    const common = { logRetention, logLevel: props.logLevel ?? 'INFO' };

    this.authorizerFunction = new KeygateFunction(this, 'Authorizer', {
      ...common,
      entry: lambdaEntry('authorizer/handler.ts'),
      description: 'keygate: REQUEST authorizer for RS512 bearer tokens',
      memorySize: 1024,
      timeout: Duration.seconds(10),
      environment: {
        KEYGATE_SECRET_PREFIX: config.secretPrefix,
        KEYGATE_CLOCK_SKEW_SECONDS: String(config.tokenRules.clockSkewSeconds),
        KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: String(config.tokenRules.maxLifetimeSeconds),
        KEYGATE_KEY_CACHE_SECONDS: String(config.keyCacheSeconds),
        KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: String(config.unknownKeyCacheSeconds),
        KEYGATE_STALE_IF_ERROR_SECONDS: String(config.staleIfErrorSeconds),
        // The authorizer re-checks stored keys against the same size limits as registration.
        KEYGATE_MIN_KEY_BITS: String(config.keySizeLimits.minBits),
        KEYGATE_MAX_KEY_BITS: String(config.keySizeLimits.maxBits),
        KEYGATE_DEFAULT_BINDING: config.defaultBinding,
        ...(props.replayTable ? { KEYGATE_REPLAY_TABLE: props.replayTable.tableName } : {}),
        ...(this.revocationSecretName !== undefined
          ? { KEYGATE_REVOCATION_SECRET: this.revocationSecretName, KEYGATE_REVOCATION_CACHE_SECONDS: String(config.revocationCacheSeconds) }
          : {}),
      },
    });
    this.authorizerFunction.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [secretArns] }),
    );
    acknowledgeWildcardResource(this.authorizerFunction.role, secretArns, secretsReason);
    if (props.replayTable) {
      // One conditional put per accepted token; never a read, update or delete.
      this.authorizerFunction.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.replayTable.tableArn] }));
    }
    // Secret ARNs end in `-` and six random characters; `??????` matches exactly those, so the
    // statement covers this one secret (and its re-creation), not others that share its prefix.
    const revocationSecretArn =
      this.revocationSecretName === undefined
        ? undefined
        : stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${this.revocationSecretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    if (revocationSecretArn !== undefined) {
      this.authorizerFunction.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [revocationSecretArn] }));
    }

    this.registrationFunction = new KeygateFunction(this, 'Registration', {
      ...common,
      entry: lambdaEntry('registration/handler.ts'),
      description: 'keygate: registration API for named public keys (IAM-signed)',
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment: {
        KEYGATE_SECRET_PREFIX: config.secretPrefix,
        KEYGATE_MIN_KEY_BITS: String(config.keySizeLimits.minBits),
        KEYGATE_MAX_KEY_BITS: String(config.keySizeLimits.maxBits),
        KEYGATE_RECOVERY_WINDOW_DAYS: String(config.recoveryWindowDays),
        KEYGATE_DEFAULT_BINDING: config.defaultBinding,
        ...(this.revocationSecretName !== undefined ? { KEYGATE_REVOCATION_SECRET: this.revocationSecretName } : {}),
      },
    });
    const registrationRole = this.registrationFunction.role;
    registrationRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:DescribeSecret',
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:TagResource',
          'secretsmanager:DeleteSecret',
          'secretsmanager:RestoreSecret',
        ],
        resources: [secretArns],
      }),
    );
    // A revoked name must stay recoverable: never allow deletion without a recovery window.
    registrationRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['secretsmanager:DeleteSecret'],
        resources: [secretArns],
        conditions: { Bool: { 'secretsmanager:ForceDeleteWithoutRecovery': 'true' } },
      }),
    );
    registrationRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    if (revocationSecretArn !== undefined) {
      // The list is one secret, created by the first POST /revocations and never deleted by keygate.
      registrationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue'],
          resources: [revocationSecretArn],
        }),
      );
    }
    acknowledgeWildcardResource(registrationRole, secretArns, secretsReason);
    acknowledgeWildcardResource(
      registrationRole,
      '*',
      'secretsmanager:ListSecrets does not support resource-level permissions; GET /keys lists only the names under the prefix with a name filter.',
    );

    this.whoamiFunction = props.backendUrl
      ? undefined
      : new KeygateFunction(this, 'Whoami', {
          ...common,
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

    // The API and its resource policy.
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

    this.authorizer = new apigw.RequestAuthorizer(this, 'BearerAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(0),
    });

    this.addGatewayResponses();
    this.addRegistrationRoutes();
    this.addProtectedRoutes(props.backendUrl);
    this.acknowledgeApiFindings();

    // Mutual TLS: the checked truststore, copied to a content-addressed key in the retained bucket.
    const truststoreVersion = this.copyTruststore(props, logRetention);
    this.domain = new apigw.DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate: props.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: { bucket: props.truststoreBucket, key: this.truststoreKey, version: truststoreVersion },
    });
    this.domain.addBasePathMapping(this.api, { stage: this.api.deploymentStage });
    if (props.hostedZone) {
      new route53.ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domain)),
      });
    }

    // Alarms: key-store faults make the authorizer throw (fail closed), so both mean denied traffic.
    this.authorizerErrorsAlarm = new cloudwatch.Alarm(this, 'AuthorizerErrorsAlarm', {
      alarmDescription: 'keygate authorizer errors: callers get 503 (key store faults or a broken deployment)',
      metric: this.authorizerFunction.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.keyStoreFaultAlarm = this.faultAlarm('KeyStoreFaultAlarm', 'KeyStoreFault', 'keygate key store faults: Secrets Manager throttled or failed after retries');
    this.replayTableFaultAlarm = props.replayTable
      ? this.faultAlarm('ReplayTableFaultAlarm', 'ReplayTableFault', 'keygate replay table faults: DynamoDB throttled or failed, so the authorizer failed closed (503)')
      : undefined;
    this.revocationListFaultAlarm =
      this.revocationSecretName !== undefined
        ? this.faultAlarm('RevocationListFaultAlarm', 'RevocationListFault', 'keygate revocation list faults: the list could not be read from Secrets Manager past its stale window, so the authorizer failed closed (503)')
        : undefined;
  }

  /** An alarm on one of the authorizer's fault metrics (namespace keygate, dimension service=keygate). */
  private faultAlarm(id: string, metricName: string, alarmDescription: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription,
      metric: new cloudwatch.Metric({ namespace: 'keygate', metricName, dimensionsMap: { service: 'keygate' }, period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
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

  private addGatewayResponses(): void {
    const json = (body: string) => ({ [JSON_TYPE]: body });
    // A gateway response's headers take only request parameters or static values (API Gateway
    // developer guide, x-amazon-apigateway-gateway-responses.gatewayResponse); its body template
    // substitutes $context.authorizer.<key>. So the authorizer's sentence goes into the body as
    // `detail`, and the header stays static. The authorizer only puts text there that needs no
    // escaping inside a JSON string (publicDetailOf).
    this.api.addGatewayResponse('AccessDenied', {
      type: apigw.ResponseType.ACCESS_DENIED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': `'Bearer error="invalid_token"'` },
      templates: json('{"error":"invalid_token","reason":"$context.authorizer.reason","detail":"$context.authorizer.detail"}'),
    });
    this.api.addGatewayResponse('Unauthorized', {
      type: apigw.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': `'Bearer'` },
      templates: json('{"error":"unauthorized","message":"Send Authorization: Bearer <token>"}'),
    });
    this.api.addGatewayResponse('AuthorizerFailure', {
      type: apigw.ResponseType.AUTHORIZER_FAILURE,
      statusCode: '503',
      responseHeaders: { 'Retry-After': `'1'` },
      templates: json('{"error":"service_unavailable","message":"The request could not be authorized right now; retry later"}'),
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX,
      templates: json('{"error":"$context.error.responseType","message":$context.error.messageString}'),
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigw.ResponseType.DEFAULT_5XX,
      templates: json('{"error":"$context.error.responseType","message":$context.error.messageString}'),
    });
  }

  private addRegistrationRoutes(): void {
    const integration = new apigw.LambdaIntegration(this.registrationFunction.function, { allowTestInvoke: false });
    const iamOnly: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.IAM };
    const keys = this.api.root.addResource('keys');
    keys.addMethod('GET', integration, iamOnly);
    const name = keys.addResource('{name}');
    for (const method of ['GET', 'PUT', 'DELETE']) name.addMethod(method, integration, iamOnly);
    name.addResource('{kid}').addMethod('DELETE', integration, iamOnly);
    name.addResource('restore').addMethod('POST', integration, iamOnly);
    if (this.revocationSecretName !== undefined) {
      const revocations = this.api.root.addResource('revocations');
      for (const method of ['GET', 'POST']) revocations.addMethod(method, integration, iamOnly);
    }
  }

  private addProtectedRoutes(backendUrl: string | undefined): void {
    const authorized: apigw.MethodOptions = { authorizer: this.authorizer };
    if (!backendUrl) {
      const whoami = this.whoamiFunction?.function;
      if (whoami) this.api.root.addResource('whoami').addMethod('GET', new apigw.LambdaIntegration(whoami, { allowTestInvoke: false }), authorized);
      return;
    }
    const base = backendUrl.replace(/\/+$/, '');
    const forward = (url: string, requestParameters: Record<string, string>) =>
      new apigw.HttpIntegration(url, {
        httpMethod: 'ANY',
        proxy: true,
        // The backend learns who called; API Gateway overwrites any such header the client sent.
        options: { requestParameters: { 'integration.request.header.X-Keygate-Key-Name': 'context.authorizer.keyName', ...requestParameters } },
      });
    this.api.root.addMethod('ANY', forward(`${base}/`, {}), authorized);
    this.api.root.addProxy({
      anyMethod: true,
      defaultIntegration: forward(`${base}/{proxy}`, { 'integration.request.path.proxy': 'method.request.path.proxy' }),
      defaultMethodOptions: { ...authorized, requestParameters: { 'method.request.path.proxy': true } },
    });
  }

  /**
   * Copies the truststore from the CDK asset bucket to `truststoreKey` in the retained bucket and
   * returns the new object version. An `Asset` plus one SDK call avoids BucketDeployment's 21 MB
   * layer and Python function; the copy keeps the truststore out of the bootstrap bucket, whose
   * objects `cdk gc` and lifecycle rules may delete while the domain still points at them.
   */
  private copyTruststore(props: KeygateApiProps, logRetention: logs.RetentionDays): string {
    const asset = new s3assets.Asset(this, 'TruststoreAsset', { path: props.truststorePath });
    const logGroup = new logs.LogGroup(this, 'TruststoreCopyLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'TruststoreCopyRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'keygate: copies the truststore into its bucket at deploy time',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.truststoreBucket.arnForObjects(this.truststoreKey)] }));

    const copy: cr.AwsSdkCall = {
      service: 'S3',
      action: 'CopyObject',
      parameters: {
        Bucket: props.truststoreBucket.bucketName,
        Key: this.truststoreKey,
        CopySource: `${asset.s3BucketName}/${asset.s3ObjectKey}`,
        ContentType: 'application/x-pem-file',
        MetadataDirective: 'REPLACE',
      },
      physicalResourceId: cr.PhysicalResourceId.of(this.truststoreKey),
      outputPaths: ['VersionId'],
    };
    const upload = new cr.AwsCustomResource(this, 'TruststoreCopy', {
      onCreate: copy,
      onUpdate: copy,
      role,
      logGroup,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(1),
    });
    return upload.getResponseField('VersionId');
  }
}
