import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { configEnvironment, type ConfigVariable, type KeygateConfig } from '../lambdas/core/config.js';
import { KeygateFunction } from './keygate-function.js';
import { DEFAULT_AUTHORIZER_CACHE_TTL, defaultMetricNamespace, defaultRevocationSecretName, resolveKeygateConfig, type KeygateFunctionsOptions } from './keygate-props.js';
import { acknowledgeWildcardResource } from './nag.js';

/** A handler's entry: the TypeScript source in a checkout, the compiled module in the built package. */
export function lambdaEntry(relative: string): string {
  const source = fileURLToPath(new URL(`../lambdas/${relative}`, import.meta.url));
  return existsSync(source) ? source : source.replace(/\.ts$/, '.js');
}

/** What each function reads (the revocation variables are added when the list is on). */
const AUTHORIZER_VARIABLES: readonly ConfigVariable[] = [
  'KEYGATE_SECRET_PREFIX',
  'KEYGATE_CLOCK_SKEW_SECONDS',
  'KEYGATE_MAX_TOKEN_LIFETIME_SECONDS',
  'KEYGATE_KEY_CACHE_SECONDS',
  'KEYGATE_UNKNOWN_KEY_CACHE_SECONDS',
  'KEYGATE_STALE_IF_ERROR_SECONDS',
  'KEYGATE_MIN_KEY_BITS',
  'KEYGATE_MAX_KEY_BITS',
  'KEYGATE_DEFAULT_BINDING',
  'KEYGATE_REPLAY_TABLE',
  'KEYGATE_MAX_KEY_AGE_DAYS',
];
const REGISTRATION_VARIABLES: readonly ConfigVariable[] = [
  'KEYGATE_SECRET_PREFIX',
  'KEYGATE_MIN_KEY_BITS',
  'KEYGATE_MAX_KEY_BITS',
  'KEYGATE_RECOVERY_WINDOW_DAYS',
  'KEYGATE_DEFAULT_BINDING',
  'KEYGATE_REVOCATION_SECRET',
];

/** ARNs of the per-name secrets: the prefix, then anything (secret ARNs end in a random suffix). */
function keySecretArns(scope: Construct, config: KeygateConfig): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${config.secretPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Secret ARNs end in `-` and six random characters; `??????` matches exactly those, so this is one secret (and its re-creation). */
function revocationSecretArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

function prefixReason(config: KeygateConfig): string {
  return `One secret per key name is created at run time under the prefix ${config.secretPrefix}, and secret ARNs end in a random suffix, so the prefix wildcard is the narrowest possible scope.`;
}

function revocationSecretNameOf(options: KeygateFunctionsOptions, config: KeygateConfig): string | undefined {
  return options.certificateRevocation ? (options.certificateRevocation.secretName ?? defaultRevocationSecretName(config.secretPrefix)) : undefined;
}

function commonProps(scope: Construct, options: KeygateFunctionsOptions) {
  return { logRetention: options.logRetention, logLevel: options.logLevel ?? 'INFO', metricNamespace: options.metricNamespace ?? defaultMetricNamespace(Stack.of(scope).stackName) };
}

/**
 * keygate's REQUEST authorizer: verifies RS512 bearer tokens against the keys registered by name,
 * with read-only access to the key secrets (and the replay table and revocation list when on).
 * Put it in front of any REST API with `requestAuthorizer`.
 */
export class KeygateAuthorizerFunction extends KeygateFunction {
  /** Name of the revocation list secret; undefined unless `certificateRevocation` is set. */
  readonly revocationSecretName: string | undefined;

  constructor(scope: Construct, id: string, options: KeygateFunctionsOptions = {}) {
    const config = resolveKeygateConfig(options, 'KeygateAuthorizerFunction');
    const revocationSecretName = revocationSecretNameOf(options, config);
    super(scope, id, {
      ...commonProps(scope, options),
      entry: lambdaEntry('authorizer/handler.ts'),
      description: 'keygate: REQUEST authorizer for RS512 bearer tokens',
      memorySize: 1024,
      timeout: Duration.seconds(10),
      environment: configEnvironment(
        { ...config, replayTable: options.replayTable?.tableName, revocationSecret: revocationSecretName },
        // The authorizer re-checks stored keys against the same size limits as registration.
        revocationSecretName !== undefined ? [...AUTHORIZER_VARIABLES, 'KEYGATE_REVOCATION_SECRET', 'KEYGATE_REVOCATION_CACHE_SECONDS'] : AUTHORIZER_VARIABLES,
      ),
    });
    this.revocationSecretName = revocationSecretName;
    const secretArns = keySecretArns(this, config);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArns] }));
    acknowledgeWildcardResource(this.role, secretArns, prefixReason(config));
    if (options.replayTable) {
      // One conditional put per accepted token; never a read, update or delete.
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [options.replayTable.tableArn] }));
    }
    if (revocationSecretName !== undefined) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [revocationSecretArn(this, revocationSecretName)] }));
    }
  }

  /**
   * A REQUEST authorizer on the `Authorization` header backed by this function, for any REST API.
   * Caching stays off unless asked: a cached Allow outlives `exp` and skips replay, binding and revocation checks.
   */
  requestAuthorizer(scope: Construct, id: string, resultsCacheTtl: Duration = DEFAULT_AUTHORIZER_CACHE_TTL): apigw.RequestAuthorizer {
    // The function must know: a cached decision is reused with any client certificate, so it refuses
    // names with a certificate binding rather than let the cache skip the check.
    if (resultsCacheTtl.toSeconds() > 0) this.function.addEnvironment('KEYGATE_AUTHORIZER_CACHE_SECONDS', String(resultsCacheTtl.toSeconds()));
    return new apigw.RequestAuthorizer(scope, id, { handler: this.function, identitySources: [apigw.IdentitySource.header('Authorization')], resultsCacheTtl });
  }
}

/** keygate's registration API function (`/keys…`, `/revocations`): writes the key secrets, never force-deletes them. */
export class KeygateRegistrationFunction extends KeygateFunction {
  /** Name of the revocation list secret; undefined unless `certificateRevocation` is set. */
  readonly revocationSecretName: string | undefined;

  constructor(scope: Construct, id: string, options: KeygateFunctionsOptions = {}) {
    const config = resolveKeygateConfig(options, 'KeygateRegistrationFunction');
    const revocationSecretName = revocationSecretNameOf(options, config);
    super(scope, id, {
      ...commonProps(scope, options),
      entry: lambdaEntry('registration/handler.ts'),
      description: 'keygate: registration API for named public keys (IAM-signed)',
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment: configEnvironment({ ...config, revocationSecret: revocationSecretName }, REGISTRATION_VARIABLES),
    });
    this.revocationSecretName = revocationSecretName;
    const secretArns = keySecretArns(this, config);
    this.role.addToPrincipalPolicy(
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
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['secretsmanager:DeleteSecret'],
        resources: [secretArns],
        conditions: { Bool: { 'secretsmanager:ForceDeleteWithoutRecovery': 'true' } },
      }),
    );
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    if (revocationSecretName !== undefined) {
      // The list is one secret, created by the first POST /revocations and never deleted by keygate.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue'],
          resources: [revocationSecretArn(this, revocationSecretName)],
        }),
      );
    }
    acknowledgeWildcardResource(this.role, secretArns, prefixReason(config));
    acknowledgeWildcardResource(this.role, '*', 'secretsmanager:ListSecrets does not support resource-level permissions; GET /keys lists only the names under the prefix with a name filter.');
  }
}
