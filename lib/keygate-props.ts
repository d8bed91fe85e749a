import { Duration, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from '../lambdas/core/certificate-binding.js';
import { configFromSettings, MAX_KEY_AGE_DAYS_RANGE, type ConfigSettings, type KeygateConfig } from '../lambdas/core/config.js';
import type { PowertoolsLogLevel } from './keygate-function.js';

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
  /**
   * Refuse tokens signed with a key registered more than this many days ago (1 to 3650); the caller
   * sees `invalid_signature`, the log `key_expired`. @default - no limit
   */
  readonly maxKeyAgeDays?: number;
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

/** What the authorizer and registration functions share: settings, opt-in checks, logging and metrics. */
export interface KeygateFunctionsOptions {
  /** @default - DESIGN.md defaults */
  readonly settings?: KeygateSettings;
  /**
   * Replay protection: the table (see `KeygateStatefulStack`) in which the authorizer records each
   * accepted token's `jti` once; a second use is denied. Needs an authorizer cache TTL of 0, since
   * a cached Allow would skip the check. @default - off
   */
  readonly replayTable?: dynamodb.ITable;
  /** Deny client certificates that support staff revoked (`/revocations`). @default - off */
  readonly certificateRevocation?: KeygateRevocationOptions;
  /** Certificate binding given to names registered without one. @default 'none' */
  readonly defaultBinding?: BindingPolicy;
  /** Retention of the function logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Powertools log level of the functions. @default 'INFO' */
  readonly logLevel?: PowertoolsLogLevel;
  /**
   * CloudWatch namespace of the functions' metrics (`POWERTOOLS_METRICS_NAMESPACE`): one per
   * deployment, so two deployments in a Region never trip each other's alarms.
   * @default - `keygate/<stack name>` (see `defaultMetricNamespace`)
   */
  readonly metricNamespace?: string;
}

export interface KeygateApiProps extends KeygateFunctionsOptions {
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
  /**
   * Principals allowed to assume the support role (which manages keys). Required unless
   * `trustAccountForSupport` is set. @default - none: the construct refuses to synthesize
   */
  readonly supportPrincipals?: readonly iam.IPrincipal[];
  /**
   * Let the support role trust the whole account: any principal its IAM policies allow
   * `sts:AssumeRole` may manage keys. Only when `supportPrincipals` is empty. @default false
   */
  readonly trustAccountForSupport?: boolean;
  /** Authorizer result cache; 0 to 300 s, below the maximum token lifetime. @default Duration.seconds(0) */
  readonly authorizerCacheTtl?: Duration;
  /** @default 'v1' */
  readonly stageName?: string;
  /** Stage-wide throttling. @default { rateLimit: 100, burstLimit: 200 } */
  readonly throttling?: KeygateThrottling;
  /**
   * Create the regional, account-wide API Gateway CloudWatch role (`AWS::ApiGateway::Account`) that
   * access logging needs. Set to false when the account already has one. The role is retained on
   * deletion because other APIs in the account may rely on it.
   * @default true
   */
  readonly createCloudWatchRole?: boolean;
  /** Topic every alarm notifies. @default - a topic created by `KeygateMonitoring` */
  readonly alarmTopic?: sns.ITopic;
  /** E-mail address subscribed to the created alarm topic (ignored with `alarmTopic`). @default - no subscription */
  readonly alarmEmail?: string;
  /**
   * Alarm when a token is accepted with a key registered more than this many days ago (the
   * `KeyAgeDays` metric's maximum in an hour), 1 to 3650 and below `settings.maxKeyAgeDays` when
   * that is set. @default - no key-age alarm
   */
  readonly keyAgeAlarmDays?: number;
}

/** A prop value the construct cannot use; the message names the prop and the value. */
export class KeygateApiError extends Error {
  override readonly name = 'KeygateApiError';
}

export const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
/** IAM principals the support role may trust: roles, users and account roots. */
export const SUPPORT_PRINCIPAL_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;
export const MAX_AUTHORIZER_CACHE_SECONDS = 300;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** CloudWatch's namespace characters, without the reserved `AWS/` prefix. */
const METRIC_NAMESPACE = /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether a backend URL is one keygate forwards to: https, no credentials, query or fragment. */
export function isBackendUrl(value: string): boolean {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  return url?.protocol === 'https:' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
}

/**
 * `revoked-certificates` next to the key prefix's last segment: `keygate/keys/` gives
 * `keygate/revoked-certificates`; a prefix without a namespace gives `keygate-revoked-certificates`.
 */
export function defaultRevocationSecretName(secretPrefix: string): string {
  const trimmed = secretPrefix.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? `${trimmed.slice(0, slash + 1)}revoked-certificates` : 'keygate-revoked-certificates';
}

/** `keygate/<stack name>`: one namespace per deployment (stack names are unique per account and Region). */
export function defaultMetricNamespace(stackName: string): string {
  return `keygate/${stackName}`;
}

/**
 * The functions' configuration, checked at synth by the functions' own validation, so a bad
 * value never reaches a cold start. `owner` names the construct in messages.
 */
export function resolveKeygateConfig(options: KeygateFunctionsOptions, owner = 'KeygateApi'): KeygateConfig {
  // Typed as config settings: a construct setting without its KEYGATE_* variable does not compile.
  const settings: Pick<ConfigSettings, keyof KeygateSettings> = options.settings ?? {};
  if (options.defaultBinding !== undefined && !isBindingPolicy(options.defaultBinding)) {
    throw new KeygateApiError(`${owner}: defaultBinding ${JSON.stringify(options.defaultBinding)} is invalid: use one of ${BINDING_POLICIES.join(', ')}`);
  }
  if (options.metricNamespace !== undefined && !Token.isUnresolved(options.metricNamespace) && !METRIC_NAMESPACE.test(options.metricNamespace)) {
    throw new KeygateApiError(`${owner}: metricNamespace ${JSON.stringify(options.metricNamespace)} is invalid: use 1 to 255 of A-Za-z0-9._/#:- , not starting with AWS/`);
  }
  const revocation = options.certificateRevocation;
  let config: KeygateConfig;
  try {
    // By default the list lives next to the key prefix, read as configured (or defaulted).
    const revocationSecret = revocation ? (revocation.secretName ?? defaultRevocationSecretName(configFromSettings({ secretPrefix: settings.secretPrefix }).secretPrefix)) : undefined;
    // A CloudFormation reference (the replay table's name, a secret name) is not checked here.
    config = configFromSettings({
      ...settings,
      defaultBinding: options.defaultBinding,
      revocationSecret: revocationSecret !== undefined && !Token.isUnresolved(revocationSecret) ? revocationSecret : undefined,
      revocationCacheSeconds: revocation?.cacheSeconds,
    });
  } catch (error) {
    throw new KeygateApiError(`${owner}: invalid settings: ${(error as Error).message}`);
  }
  const revocationSecretName = config.revocationSecret;
  if (revocationSecretName !== undefined && revocationSecretName.startsWith(config.secretPrefix)) {
    const fallback = defaultRevocationSecretName(config.secretPrefix);
    throw new KeygateApiError(
      `${owner}: certificateRevocation.secretName ${JSON.stringify(revocationSecretName)} is inside the key prefix ${config.secretPrefix}: it would be listed and read as a key name; set a name outside the prefix${fallback.startsWith(config.secretPrefix) ? '' : `, such as ${fallback}`}`,
    );
  }
  return config;
}

/** A lowercase DNS name, inside `hostedZone` when one is given. */
export function validateDomainProps(owner: string, domainName: string, hostedZone: route53.IHostedZone | undefined): void {
  if (!Token.isUnresolved(domainName) && !DNS_NAME.test(domainName)) {
    throw new KeygateApiError(`${owner}: domainName ${JSON.stringify(domainName)} is not a lowercase DNS name such as api.example.com`);
  }
  const zoneName = hostedZone?.zoneName;
  if (zoneName !== undefined && !Token.isUnresolved(zoneName) && !Token.isUnresolved(domainName)) {
    const zone = zoneName.replace(/\.$/, '');
    if (domainName !== zone && !domainName.endsWith(`.${zone}`)) {
      throw new KeygateApiError(`${owner}: domainName ${domainName} is not inside the hosted zone ${zone}`);
    }
  }
}

/** Checks the props `resolveKeygateConfig` does not; throws a `KeygateApiError` naming the prop and its value. */
export function validateKeygateApiProps(props: KeygateApiProps, config: KeygateConfig): void {
  validateDomainProps('KeygateApi', props.domainName, props.hostedZone);
  if (props.backendUrl !== undefined && !isBackendUrl(props.backendUrl)) {
    throw new KeygateApiError(`KeygateApi: backendUrl ${JSON.stringify(props.backendUrl)} must be an https:// URL without credentials, query or fragment`);
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
  if (props.stageName !== undefined && !STAGE_NAME.test(props.stageName)) {
    throw new KeygateApiError(`KeygateApi: stageName ${JSON.stringify(props.stageName)} may use only A-Za-z0-9_- (1 to 128 characters)`);
  }
  const { rateLimit, burstLimit } = props.throttling ?? { rateLimit: 1, burstLimit: 1 };
  if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new KeygateApiError(`KeygateApi: throttling ${JSON.stringify(props.throttling)} is invalid: rateLimit must be above 0 and burstLimit a positive integer`);
  }
  const principals = props.supportPrincipals?.length ?? 0;
  if (principals === 0 && props.trustAccountForSupport !== true) {
    throw new KeygateApiError('KeygateApi: supportPrincipals is empty: name the principals allowed to manage keys, or set trustAccountForSupport: true to trust every principal of the account');
  }
  if (principals > 0 && props.trustAccountForSupport === true) {
    throw new KeygateApiError('KeygateApi: supportPrincipals and trustAccountForSupport are both set: keep one');
  }
  if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !EMAIL.test(props.alarmEmail)) {
    throw new KeygateApiError(`KeygateApi: alarmEmail ${JSON.stringify(props.alarmEmail)} is not an e-mail address`);
  }
  validateKeyAgeAlarmDays(props.keyAgeAlarmDays, config);
}

/** The key-age alarm fires on accepted tokens only, so a threshold at or past the refusal limit could never fire. */
function validateKeyAgeAlarmDays(days: number | undefined, config: KeygateConfig): void {
  if (days === undefined) return;
  const { min, max } = MAX_KEY_AGE_DAYS_RANGE;
  if (!Number.isInteger(days) || days < min || days > max) {
    throw new KeygateApiError(`KeygateApi: keyAgeAlarmDays ${days} is invalid: use a whole number of days from ${min} to ${max}`);
  }
  if (config.maxKeyAgeDays !== undefined && days >= config.maxKeyAgeDays) {
    throw new KeygateApiError(
      `KeygateApi: keyAgeAlarmDays ${days} is not below settings.maxKeyAgeDays ${config.maxKeyAgeDays}: keys that old are refused, so the alarm could never fire; lower it`,
    );
  }
}

/** The default authorizer cache: off (a cached Allow would outlive `exp` and defeat `jti` checks). */
export const DEFAULT_AUTHORIZER_CACHE_TTL = Duration.seconds(0);
