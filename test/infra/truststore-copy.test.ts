import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateApi } from '../../lib/keygate-api.js';
import { CDK_JSON_CONTEXT, CERTIFICATE_ARN, clientCa, tempDir, writePem } from './support.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

let template: Template;

/** The statements a function's role grants, inline or through attached policies. */
function grantsOf(functionId: string): unknown[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionId];
  const role = (fn?.['Properties']['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const inline = (template.findResources('AWS::IAM::Role')[role]?.['Properties']['Policies'] ?? []) as Array<{ PolicyDocument: { Statement: unknown[] } }>;
  const attached = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: role }]) } }));
  return [...inline.flatMap((policy) => policy.PolicyDocument.Statement), ...attached.flatMap((policy) => policy['Properties']['PolicyDocument']['Statement'] as unknown[])];
}

function serviceTokenFunction(type: string): string {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return (resources[0]?.['Properties']['ServiceToken'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

beforeAll(async () => {
  const truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  const app = new App({ outdir: join(temp.dir, 'out'), context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TeamStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  // The team's own AwsCustomResource, created first: it owns the stack's AwsCustomResource provider.
  new cr.AwsCustomResource(stack, 'TeamParameter', {
    onCreate: { service: 'SSM', action: 'GetParameter', parameters: { Name: '/team/setting' }, physicalResourceId: cr.PhysicalResourceId.of('team-setting') },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: ['arn:aws:ssm:eu-west-1:111122223333:parameter/team/setting'] }),
    installLatestAwsSdk: false,
  });
  new KeygateApi(stack, 'Keygate', {
    domainName: 'api.example.com',
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
    truststoreBucket: s3.Bucket.fromBucketName(stack, 'Truststores', 'team-truststores'),
    truststorePath: truststore,
    supportPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/SupportStaff')],
  });
  template = Template.fromStack(stack);
});

describe('KeygateApi in a stack that already has an AwsCustomResource', () => {
  it('copies the truststore with its own provider, not the stack\'s AwsCustomResource function', () => {
    expect(serviceTokenFunction('Custom::KeygateTruststoreCopy')).not.toBe(serviceTokenFunction('Custom::AWS'));
  });

  it('gives the truststore copy a role that may read the asset and write the truststore key', () => {
    const grants = grantsOf(serviceTokenFunction('Custom::KeygateTruststoreCopy'));
    expect(grants).toContainEqual({ Effect: 'Allow', Action: 's3:GetObject', Resource: expect.stringMatching(/^arn:aws:s3:::cdk-hnb659fds-assets-111122223333-eu-west-1\/[0-9a-f]{64}\.pem$/) });
    expect(grants).toContainEqual({ Effect: 'Allow', Action: 's3:PutObject', Resource: expect.stringMatching(/^arn:aws:s3:::team-truststores\/truststore\/[0-9a-f]{64}\.pem$/) });
    expect(JSON.stringify(grants)).not.toContain('ssm:');
  });

  it("leaves the team's AwsCustomResource with its own rights only", () => {
    const grants = JSON.stringify(grantsOf(serviceTokenFunction('Custom::AWS')));
    expect(grants).toContain('ssm:GetParameter');
    expect(grants).not.toContain('s3:');
  });

  it('gives each keygate function its own role', () => {
    const roles = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => JSON.stringify(fn['Properties']['Role']));
    expect(new Set(roles).size).toBe(roles.length);
  });
});
