import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from '../lambdas/core/certificate-binding.js';
import { DNS_NAME, isBackendUrl, KeygateApiError, MAX_AUTHORIZER_CACHE_SECONDS, SUPPORT_PRINCIPAL_ARN } from '../lib/keygate-props.js';
import { KeygateStack } from '../lib/keygate-stack.js';
import { KeygateStatefulStack } from '../lib/keygate-stateful-stack.js';
import { TruststoreError } from '../lib/truststore/check-truststore.js';

/** A missing or bad context value; the message says which and how to fix it, on one line. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

export interface KeygateContext {
  readonly domainName: string;
  readonly certificateArn: string;
  /** Absolute path of the PEM bundle. */
  readonly truststore: string;
  readonly hostedZoneId: string | undefined;
  readonly hostedZoneName: string | undefined;
  readonly backendUrl: string | undefined;
  readonly supportPrincipalArns: readonly string[];
  /** The support role trusts the whole account (instead of `supportPrincipalArns`). */
  readonly trustAccountForSupport: boolean;
  /** Subscribed to the alarm topic. */
  readonly alarmEmail: string | undefined;
  readonly authorizerCacheSeconds: number;
  readonly createCloudWatchRole: boolean;
  /** Each token's `jti` accepted once (a DynamoDB table in the stateful stack). */
  readonly replayProtection: boolean;
  /** Support staff can revoke client certificates (`/revocations`); the authorizer denies them. */
  readonly certificateRevocation: boolean;
  /** Binding given to names registered without one. */
  readonly defaultBinding: BindingPolicy;
  readonly account: string;
  readonly region: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const CERTIFICATE_ARN = /^arn:aws(?:-cn|-us-gov)?:acm:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):certificate\/[0-9a-f-]{36}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function fail(key: string, problem: string, fix: string): never {
  throw new ContextError(`context "${key}" ${problem}: ${fix}`);
}

/** Reads and validates every context value; the only place that reads CDK context. */
export function readKeygateContext(app: App, env: Env = process.env): KeygateContext {
  const text = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim() || undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return fail(key, `is ${JSON.stringify(value)}`, 'give a string');
  };

  const domainName = text('domainName')?.toLowerCase() ?? fail('domainName', 'is missing', 'pass -c domainName=api.example.com (the custom domain clients call)');
  if (!DNS_NAME.test(domainName)) fail('domainName', `is ${JSON.stringify(domainName)}, not a DNS name`, 'pass -c domainName=api.example.com');

  const certificateArn =
    text('certificateArn') ?? fail('certificateArn', 'is missing', 'pass -c certificateArn=arn:aws:acm:<region>:<account>:certificate/<id> (an ACM certificate for domainName in the deploy region)');
  const certificate = CERTIFICATE_ARN.exec(certificateArn);
  if (!certificate) fail('certificateArn', `is ${JSON.stringify(certificateArn)}, not an ACM certificate ARN`, 'pass arn:aws:acm:<region>:<account>:certificate/<uuid>');
  const [, certificateRegion = '', certificateAccount = ''] = certificate;

  const truststoreText =
    text('truststore') ?? fail('truststore', 'is missing', 'pass -c truststore=<path to a PEM bundle of the CA certificates that issue client certificates>');
  const truststore = resolve(truststoreText);
  if (!existsSync(truststore) || !statSync(truststore).isFile()) fail('truststore', `names ${truststore}, which is not a file`, 'pass -c truststore=<path to the PEM bundle>');

  const hostedZoneId = text('hostedZoneId');
  const hostedZoneName = text('hostedZoneName')?.toLowerCase().replace(/\.$/, '');
  if ((hostedZoneId === undefined) !== (hostedZoneName === undefined)) {
    fail(hostedZoneId ? 'hostedZoneName' : 'hostedZoneId', 'is missing', 'pass both -c hostedZoneId=Z… and -c hostedZoneName=example.com, or neither');
  }
  if (hostedZoneId !== undefined && !HOSTED_ZONE_ID.test(hostedZoneId)) fail('hostedZoneId', `is ${JSON.stringify(hostedZoneId)}`, 'pass a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ');
  if (hostedZoneName !== undefined && domainName !== hostedZoneName && !domainName.endsWith(`.${hostedZoneName}`)) {
    fail('hostedZoneName', `is ${hostedZoneName}, which does not contain ${domainName}`, 'pass the zone that holds domainName');
  }

  const backendUrl = text('backendUrl');
  if (backendUrl !== undefined && !isBackendUrl(backendUrl)) {
    fail('backendUrl', `is ${JSON.stringify(backendUrl)}`, 'pass an https:// URL without credentials, query or fragment, or leave it out to get the GET /whoami echo backend');
  }

  const principals: unknown = app.node.tryGetContext('supportPrincipalArns');
  const supportPrincipalArns = (Array.isArray(principals) ? principals.map(String) : (text('supportPrincipalArns') ?? '').split(','))
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  for (const arn of supportPrincipalArns) {
    if (!SUPPORT_PRINCIPAL_ARN.test(arn)) fail('supportPrincipalArns', `contains ${JSON.stringify(arn)}`, 'pass comma-separated IAM ARNs: arn:aws:iam::<account>:role/<name>, …:user/<name> or …:root');
  }

  const cacheText = text('authorizerCacheSeconds') ?? '0';
  const authorizerCacheSeconds = /^\d{1,3}$/.test(cacheText) ? Number(cacheText) : Number.NaN;
  if (!(authorizerCacheSeconds <= MAX_AUTHORIZER_CACHE_SECONDS)) {
    fail('authorizerCacheSeconds', `is ${JSON.stringify(cacheText)}`, `pass a whole number of seconds from 0 to ${MAX_AUTHORIZER_CACHE_SECONDS} (0, the default, disables the cache)`);
  }

  const flag = (key: string, fallback: boolean): boolean => {
    const value = text(key) ?? String(fallback);
    if (value !== 'true' && value !== 'false') fail(key, `is ${JSON.stringify(value)}`, 'pass true or false');
    return value === 'true';
  };
  const trustAccountForSupport = flag('trustAccountForSupport', false);
  if (supportPrincipalArns.length === 0 && !trustAccountForSupport) {
    fail('supportPrincipalArns', 'is missing', 'pass -c supportPrincipalArns=arn:aws:iam::<account>:role/<name>[,…] (who may manage keys), or -c trustAccountForSupport=true to trust the whole account');
  }
  if (supportPrincipalArns.length > 0 && trustAccountForSupport) {
    fail('trustAccountForSupport', 'is true but supportPrincipalArns is set', 'pass one of them');
  }
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) fail('alarmEmail', `is ${JSON.stringify(alarmEmail)}`, 'pass an e-mail address to subscribe to the alarm topic, or leave it out');
  const createCloudWatchRole = flag('createCloudWatchRole', true);
  const replayProtection = flag('replayProtection', false);
  const certificateRevocation = flag('certificateRevocation', false);
  if (replayProtection && authorizerCacheSeconds > 0) {
    fail('authorizerCacheSeconds', `is ${authorizerCacheSeconds} but replayProtection is on`, 'a cached Allow would skip the replay check; pass -c authorizerCacheSeconds=0 or leave out replayProtection');
  }
  const defaultBinding = text('defaultBinding') ?? 'none';
  if (!isBindingPolicy(defaultBinding)) fail('defaultBinding', `is ${JSON.stringify(defaultBinding)}`, `pass one of ${BINDING_POLICIES.join(', ')} (default none)`);
  if (authorizerCacheSeconds > 0 && (certificateRevocation || defaultBinding !== 'none')) {
    fail(
      'authorizerCacheSeconds',
      `is ${authorizerCacheSeconds} but ${certificateRevocation ? 'certificateRevocation is on' : `defaultBinding is ${defaultBinding}`}`,
      'a cached decision is reused whatever client certificate comes with the token; pass -c authorizerCacheSeconds=0',
    );
  }

  // The certificate fixes the region (a regional domain needs its certificate in the same region),
  // so CDK_DEFAULT_REGION, which the CLI sets to us-east-1 when nothing is configured, is not used.
  // Offline, with no credentials, the certificate's account stands in for CDK_DEFAULT_ACCOUNT.
  const account = text('account') ?? env['CDK_DEFAULT_ACCOUNT'] ?? certificateAccount;
  const region = text('region') ?? certificateRegion;
  if (!ACCOUNT.test(account)) fail('account', `is ${JSON.stringify(account)}`, 'pass -c account=<12-digit AWS account ID>');
  if (!REGION.test(region)) fail('region', `is ${JSON.stringify(region)}`, 'pass -c region=<AWS region such as eu-west-1>');
  if (certificateRegion !== region) {
    fail('certificateArn', `is in ${certificateRegion} but the stacks deploy to ${region}`, 'a regional custom domain needs a certificate from its own region; leave out -c region or pass a certificate from that region');
  }
  if (certificateAccount !== account) {
    fail('certificateArn', `belongs to account ${certificateAccount} but the stacks deploy to ${account}`, 'use a certificate in the deploy account');
  }

  return {
    domainName,
    certificateArn,
    truststore,
    hostedZoneId,
    hostedZoneName,
    backendUrl,
    supportPrincipalArns,
    trustAccountForSupport,
    alarmEmail,
    authorizerCacheSeconds,
    createCloudWatchRole,
    replayProtection,
    certificateRevocation,
    defaultBinding,
    account,
    region,
  };
}

export interface KeygateStacks {
  readonly stateful: KeygateStatefulStack;
  readonly service: KeygateStack;
}

/** Builds both stacks from context and checks them with cdk-nag's AWS Solutions pack. */
export function buildKeygateApp(app: App, env: Env = process.env): KeygateStacks {
  const context = readKeygateContext(app, env);
  const stackEnv = { account: context.account, region: context.region };
  const stateful = new KeygateStatefulStack(app, 'KeygateStateful', {
    env: stackEnv,
    description: `keygate: data that outlives the API (truststore bucket${context.replayProtection ? ', replay table' : ''})`,
    replayProtection: context.replayProtection,
  });
  const service = new KeygateStack(app, 'KeygateService', {
    env: stackEnv,
    description: 'keygate: API Gateway with mutual TLS, bearer-token authorizer and key registration',
    domainName: context.domainName,
    certificateArn: context.certificateArn,
    truststoreBucket: stateful.truststoreBucket,
    truststorePath: context.truststore,
    hostedZoneId: context.hostedZoneId,
    hostedZoneName: context.hostedZoneName,
    backendUrl: context.backendUrl,
    supportPrincipalArns: context.supportPrincipalArns,
    trustAccountForSupport: context.trustAccountForSupport,
    alarmEmail: context.alarmEmail,
    authorizerCacheTtl: Duration.seconds(context.authorizerCacheSeconds),
    createCloudWatchRole: context.createCloudWatchRole,
    replayTable: stateful.replayTable,
    certificateRevocation: context.certificateRevocation ? {} : undefined,
    defaultBinding: context.defaultBinding,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, service };
}

function main(): void {
  try {
    const app = new App();
    buildKeygateApp(app);
    app.synth();
  } catch (error) {
    if (error instanceof ContextError || error instanceof KeygateApiError || error instanceof TruststoreError) {
      process.stderr.write(`keygate: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
