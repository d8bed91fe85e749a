/* global require, exports */
// Deploy-time copy of the checked truststore from its CDK asset to its content-addressed key in
// the retained truststore bucket. Runs under CDK's custom resource entrypoint (__entrypoint__.js),
// which answers CloudFormation; the Lambda runtime provides the AWS SDK v3 S3 client.
'use strict';
// CommonJS (package.json beside it says so, whatever the project's type): CDK's entrypoint require()s it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { S3Client, CopyObjectCommand } = require('@aws-sdk/client-s3');

const s3 = new S3Client({});

exports.handler = async function copyTruststore(event) {
  const { SourceBucket, SourceKey, Bucket, Key } = event.ResourceProperties;
  // The copy is never deleted: the domain may still point at it while CloudFormation rolls back.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const copy = await s3.send(
    new CopyObjectCommand({
      Bucket,
      Key,
      CopySource: `${SourceBucket}/${encodeURIComponent(SourceKey)}`,
      ContentType: 'application/x-pem-file',
      MetadataDirective: 'REPLACE',
    }),
  );
  if (!copy.VersionId) throw new Error(`s3://${Bucket}/${Key} has no version: the truststore bucket must be versioned`);
  return { PhysicalResourceId: Key, Data: { VersionId: copy.VersionId } };
};
