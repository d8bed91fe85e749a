import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Annotations, type CfnResource, CustomResource, CustomResourceProvider, CustomResourceProviderRuntime, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { KeygateApiError, validateDomainProps } from '../keygate-props.js';
import { checkTruststore, TruststoreError } from './check-truststore.js';

export interface KeygateMtlsDomainProps {
  /** The custom domain clients call, e.g. `api.example.com`. */
  readonly domainName: string;
  /** A regional ACM certificate for `domainName`, in the stack's region. */
  readonly certificate: acm.ICertificate;
  /** The versioned bucket the truststore is copied into (see `KeygateStatefulStack`). */
  readonly truststoreBucket: s3.IBucket;
  /** Path of the local PEM bundle of client CA certificates; checked at synth. */
  readonly truststorePath: string;
  /** Zone in which to create an alias A record for `domainName`. @default - no record */
  readonly hostedZone?: route53.IHostedZone;
}

/** The custom resource type; one provider (function and role) per stack serves every keygate domain in it. */
const COPY_RESOURCE_TYPE = 'Custom::KeygateTruststoreCopy';
const COPY_HANDLER_DIRECTORY = fileURLToPath(new URL('./copy-handler', import.meta.url));

function readTruststore(path: string): { pem: string; warnings: readonly string[] } {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeygateApiError(`KeygateMtlsDomain: cannot read the truststore ${path}: ${(error as Error).message}`);
  }
  const report = checkTruststore(pem);
  if (report.errors.length > 0) throw new TruststoreError(report, `the truststore ${path}`);
  return { pem, warnings: report.warnings };
}

/**
 * A regional custom domain with TLS 1.2 and mutual TLS: the truststore is checked at synth, copied
 * at deploy to a content-addressed key (`truststore/<sha256>.pem`) in the retained bucket, and the
 * domain points at that object's version. Map APIs to it with `domain.addBasePathMapping`.
 */
export class KeygateMtlsDomain extends Construct {
  readonly domain: apigw.DomainName;
  /** The S3 key the truststore is copied to: `truststore/<sha256 of its content>.pem`. */
  readonly truststoreKey: string;
  /** The copied object's version, which the domain uses. */
  readonly truststoreVersion: string;

  constructor(scope: Construct, id: string, props: KeygateMtlsDomainProps) {
    super(scope, id);
    validateDomainProps('KeygateMtlsDomain', props.domainName, props.hostedZone);
    const { pem, warnings } = readTruststore(props.truststorePath);
    for (const warning of warnings) Annotations.of(this).addWarningV2('keygate:truststore', `truststore ${props.truststorePath}: ${warning}`);
    this.truststoreKey = `truststore/${createHash('sha256').update(pem).digest('hex')}.pem`;
    this.truststoreVersion = this.copyTruststore(props);

    this.domain = new apigw.DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate: props.certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mtls: { bucket: props.truststoreBucket, key: this.truststoreKey, version: this.truststoreVersion },
    });
    if (props.hostedZone) {
      new route53.ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domain)),
      });
    }
  }

  /**
   * Copies the truststore from the CDK asset bucket to `truststoreKey` and returns the new object
   * version. The copy keeps the truststore out of the bootstrap bucket, whose objects `cdk gc` and
   * lifecycle rules may delete while the domain still points at them. The provider is keygate's
   * own (not AwsCustomResource's per-stack singleton, which would run with whichever role the
   * stack's first AwsCustomResource brought), so this works in any stack.
   */
  private copyTruststore(props: KeygateMtlsDomainProps): string {
    const asset = new s3assets.Asset(this, 'TruststoreAsset', { path: props.truststorePath });
    const provider = CustomResourceProvider.getOrCreateProvider(this, COPY_RESOURCE_TYPE, {
      codeDirectory: COPY_HANDLER_DIRECTORY,
      runtime: CustomResourceProviderRuntime.NODEJS_24_X,
      timeout: Duration.minutes(1),
      description: 'Deploy-time copy of the keygate truststore into its bucket',
    });
    provider.addToRolePolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: asset.bucket.arnForObjects(asset.s3ObjectKey) });
    provider.addToRolePolicy({ Effect: 'Allow', Action: 's3:PutObject', Resource: props.truststoreBucket.arnForObjects(this.truststoreKey) });
    KeygateMtlsDomain.configureProvider(provider);
    const copy = new CustomResource(this, 'TruststoreCopyObject', {
      serviceToken: provider.serviceToken,
      resourceType: COPY_RESOURCE_TYPE,
      properties: { SourceBucket: asset.s3BucketName, SourceKey: asset.s3ObjectKey, Bucket: props.truststoreBucket.bucketName, Key: this.truststoreKey },
    });
    return copy.getAttString('VersionId');
  }

  /** Once per stack: the provider logs to a retained log group with the house retention, like keygate's functions. */
  private static configureProvider(provider: CustomResourceProvider): void {
    if (provider.node.tryFindChild('Logs')) return;
    const logGroup = new logs.LogGroup(provider, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const handler = provider.node.findChild('Handler') as CfnResource;
    handler.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
    handler.node.addDependency(logGroup);
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The deploy-time truststore copy function writes its logs with the AWS managed basic execution policy; its only other rights are GetObject on the truststore asset and PutObject on the truststore key.',
    });
  }
}
