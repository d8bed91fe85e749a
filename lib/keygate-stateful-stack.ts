import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface KeygateStatefulStackProps extends StackProps {
  /**
   * Create the replay table (each token's `jti` accepted once). Pass `replayTable` to the
   * service stack as well; the authorizer result cache must then stay at 0.
   * @default false
   */
  readonly replayProtection?: boolean;
}

/**
 * Everything that holds data and must survive a replacement of the API: the truststore bucket
 * (and, with replay protection, the replay table). Retained on stack deletion.
 */
export class KeygateStatefulStack extends Stack {
  readonly truststoreBucket: s3.Bucket;
  /** The replay table; undefined unless `replayProtection` is on. */
  readonly replayTable: dynamodb.Table | undefined;

  constructor(scope: Construct, id: string, props: KeygateStatefulStackProps = {}) {
    super(scope, id, props);

    this.truststoreBucket = new s3.Bucket(this, 'TruststoreBucket', {
      versioned: true,
      // SSE-S3: API Gateway reads the truststore with the deployer's S3 permissions and has no
      // grant on a customer-managed KMS key.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.truststoreBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the public CA certificates of the truststore, written by CloudFormation deploys (recorded in CloudTrail) and read by API Gateway; a server access log bucket would add a second, equally unlogged bucket.',
    });

    this.replayTable = props.replayProtection
      ? new dynamodb.Table(this, 'ReplayTable', {
          // `<key name>#<jti>`, written once per accepted token with attribute_not_exists(pk).
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          // `exp` + clock skew: an item is needed only while its token could still be accepted.
          timeToLiveAttribute: 'expiresAt',
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          // The AWS managed key (aws/dynamodb): encrypted with a KMS key of this account, its use
          // visible in CloudTrail, no key policy to maintain and no monthly key charge. The items
          // (key name, jti, expiry) are not secret; a customer managed key would add a key policy,
          // a cost and a key that must outlive this retained table, and protect nothing more here.
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          removalPolicy: RemovalPolicy.RETAIN,
        })
      : undefined;
  }
}
