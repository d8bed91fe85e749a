import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * Everything that holds data and must survive a replacement of the API: the truststore bucket
 * (and, with replay protection, the replay table). Retained on stack deletion.
 */
export class KeygateStatefulStack extends Stack {
  readonly truststoreBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props?: StackProps) {
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
  }
}
