import { createRequire } from 'node:module';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, useDummyAwsCredentials, type MotoServer } from '../helpers/moto.js';

/**
 * The deploy-time truststore copy (lib/truststore/copy-handler/index.js) against moto's S3: the
 * handler CloudFormation runs, with the SDK client the Lambda runtime provides.
 */
interface CopyEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly SourceBucket: string; readonly SourceKey: string; readonly Bucket: string; readonly Key: string };
}
type CopyHandler = (event: CopyEvent) => Promise<{ PhysicalResourceId: string; Data?: { VersionId: string } }>;

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let moto: MotoServer;
let s3: S3Client;
let copy: CopyHandler;

beforeAll(async () => {
  moto = await startMoto();
  useDummyAwsCredentials(moto.endpoint);
  s3 = new S3Client({ forcePathStyle: true });
  // The handler builds its client when loaded: load it only now that the endpoint points at moto.
  const require = createRequire(import.meta.url);
  copy = (require('../../lib/truststore/copy-handler/index.js') as { handler: CopyHandler }).handler;
  await s3.send(new CreateBucketCommand({ Bucket: 'assets' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'truststore' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'unversioned' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'truststore', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new PutObjectCommand({ Bucket: 'assets', Key: 'asset/abc+1.pem', Body: PEM, ContentType: 'binary/octet-stream' }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

const properties = { SourceBucket: 'assets', SourceKey: 'asset/abc+1.pem', Bucket: 'truststore', Key: 'truststore/abc.pem' };

describe('truststore copy handler', () => {
  it('copies the asset to its key in the versioned bucket and answers with the version the domain points at', async () => {
    // Act
    const result = await copy({ RequestType: 'Create', ResourceProperties: properties });

    // Assess
    expect(result.PhysicalResourceId).toBe('truststore/abc.pem');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'truststore', Key: 'truststore/abc.pem', VersionId: result.Data?.VersionId }));
    expect(head.ContentType).toBe('application/x-pem-file');
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'truststore', Key: 'truststore/abc.pem' }))).Body?.transformToString();
    expect(body).toBe(PEM);
  });

  it('an update copies again and answers with a new version', async () => {
    const first = await copy({ RequestType: 'Update', PhysicalResourceId: 'truststore/abc.pem', ResourceProperties: properties });
    const second = await copy({ RequestType: 'Update', PhysicalResourceId: 'truststore/abc.pem', ResourceProperties: properties });

    expect(second.Data?.VersionId).toBeTruthy();
    expect(second.Data?.VersionId).not.toBe(first.Data?.VersionId);
  });

  it('fails the deploy when the bucket is not versioned (the domain needs a version)', async () => {
    await expect(copy({ RequestType: 'Create', ResourceProperties: { ...properties, Bucket: 'unversioned' } })).rejects.toThrow(/has no version: the truststore bucket must be versioned/);
  });

  it('fails the deploy when the asset is missing', async () => {
    await expect(copy({ RequestType: 'Create', ResourceProperties: { ...properties, SourceKey: 'asset/missing.pem' } })).rejects.toThrow();
  });

  it('never deletes the copy: the domain may still point at it during a rollback', async () => {
    const result = await copy({ RequestType: 'Delete', PhysicalResourceId: 'truststore/abc.pem', ResourceProperties: properties });

    expect(result.PhysicalResourceId).toBe('truststore/abc.pem');
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'truststore', Key: 'truststore/abc.pem' }))).resolves.toBeDefined();
  });
});
