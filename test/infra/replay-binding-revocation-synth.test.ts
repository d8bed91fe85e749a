import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingPolicy } from '../../lambdas/core/certificate-binding.js';
import { ContextError } from '../../bin/app.js';
import { defaultRevocationSecretName, KeygateApi, KeygateApiError, type KeygateApiProps } from '../../lib/keygate-api.js';
import { baseContext, buildApp, CERTIFICATE_ARN, CFN_LINT_TEST_TIMEOUT_MS, clientCa, expectCfnLintClean, templatesIn, tempDir, writePem, type BuiltApp } from './support.js';


/** cfn-lint takes ~2 s per template alone, several times that on a loaded machine. */
const temp = tempDir();
afterAll(() => temp.cleanup());

const REVOCATION_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/revoked-certificates-??????';

let truststore: string;
/** The real app with every defense-in-depth feature on. */
let built: BuiltApp;
let service: Template;
let stateful: Template;

beforeAll(async () => {
  truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  built = buildApp(join(temp.dir, 'features'), { ...baseContext(truststore), replayProtection: 'true', certificateRevocation: 'true', defaultBinding: 'thumbprint' });
  service = Template.fromStack(built.service);
  stateful = Template.fromStack(built.stateful);
});

function logicalId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function statementsOf(template: Template, roleDescription: string): Array<Record<string, unknown>> {
  const role = logicalId(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp(roleDescription) });
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  return policies[0]?.['Properties']['PolicyDocument']['Statement'] as Array<Record<string, unknown>>;
}

/** The `Fn::ImportValue` the service stack uses for one of the stateful stack's exported values. */
function importOf(value: Record<string, unknown>): { 'Fn::ImportValue': string } {
  const outputs = stateful.toJSON()['Outputs'] as Record<string, { Value: unknown; Export: { Name: string } }>;
  const exported = Object.values(outputs).filter((output) => JSON.stringify(output.Value) === JSON.stringify(value));
  expect(exported).toHaveLength(1);
  return { 'Fn::ImportValue': exported[0]?.Export.Name as string };
}

describe('replay protection', () => {
  it('keeps used token IDs in an on-demand, PITR, KMS-encrypted and retained table keyed by pk with TTL on expiresAt', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 1);
    stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key ID: the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true },
      },
    });
    const table = stateful.toJSON()['Resources'][logicalId(stateful, 'AWS::DynamoDB::Table')]['Properties'] as Record<string, unknown>;
    expect(table).not.toHaveProperty('ProvisionedThroughput');
    // A generated name, so the table can be replaced; the functions get it by reference.
    expect(table).not.toHaveProperty('TableName');
  });

  it('gives the authorizer the table name and only dynamodb:PutItem on the table ARN', () => {
    const table = logicalId(stateful, 'AWS::DynamoDB::Table');
    service.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('REQUEST authorizer'),
      Environment: { Variables: Match.objectLike({ KEYGATE_REPLAY_TABLE: importOf({ Ref: table }) }) },
    });
    const dynamo = statementsOf(service, 'REQUEST authorizer').filter((s) => JSON.stringify(s['Action']).includes('dynamodb:'));
    expect(dynamo).toEqual([{ Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: importOf({ 'Fn::GetAtt': [table, 'Arn'] }) }]);
  });

  it('gives no other function the table', () => {
    for (const description of ['^keygate: registration API', 'echo backend', 'support staff']) {
      expect(JSON.stringify(statementsOf(service, description))).not.toContain('dynamodb:');
    }
    // The truststore copy provider's statements are inline in its role.
    expect(JSON.stringify(service.findResources('AWS::IAM::Role'))).not.toContain('dynamodb:');
    const registration = Object.values(service.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('registration API') } }))[0];
    expect(registration?.['Properties']['Environment']['Variables']).not.toHaveProperty('KEYGATE_REPLAY_TABLE');
  });

  it('keeps the authorizer result cache off', () => {
    service.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  it('alarms on replay table faults and outputs the table name', () => {
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'keygate/KeygateService',
      MetricName: 'ReplayTableFault',
      Dimensions: [{ Name: 'service', Value: 'keygate' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    service.hasOutput('ReplayTableName', { Value: importOf({ Ref: logicalId(stateful, 'AWS::DynamoDB::Table') }) });
  });
});

describe('client-certificate revocation', () => {
  it('tells both functions the revocation secret, outside the key prefix, and the authorizer its cache time', () => {
    service.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('REQUEST authorizer'),
      Environment: { Variables: Match.objectLike({ KEYGATE_REVOCATION_SECRET: 'keygate/revoked-certificates', KEYGATE_REVOCATION_CACHE_SECONDS: '60' }) },
    });
    service.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('registration API'),
      Environment: { Variables: Match.objectLike({ KEYGATE_REVOCATION_SECRET: 'keygate/revoked-certificates' }) },
    });
  });

  it('lets the authorizer only read the revocation secret, by its exact name and random suffix', () => {
    const statements = statementsOf(service, 'REQUEST authorizer');
    // One statement (minimizePolicies merges the two reads): the key prefix and the revocation secret
    // by its exact name and random suffix, read only.
    expect(statements.filter((s) => JSON.stringify(s['Resource']).includes('revoked-certificates'))).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/keys/*', REVOCATION_SECRET_ARN] },
    ]);
  });

  it('lets registration create, read and update the revocation secret, and nothing more on it', () => {
    const statements = statementsOf(service, '^keygate: registration API');
    expect(statements.filter((s) => JSON.stringify(s['Resource']).includes('revoked-certificates'))).toEqual([
      {
        // Sorted: the recommended flag @aws-cdk/aws-iam:minimizePolicies orders actions.
        Action: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        Effect: 'Allow',
        Resource: REVOCATION_SECRET_ARN,
      },
    ]);
  });

  it('serves GET and POST /revocations with AWS_IAM from the registration function', () => {
    const resource = logicalId(service, 'AWS::ApiGateway::Resource', { PathPart: 'revocations' });
    const registration = logicalId(service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('registration API') });
    const methods = Object.values(service.findResources('AWS::ApiGateway::Method', { Properties: { ResourceId: { Ref: resource } } }));
    expect(methods.map((m) => m['Properties']['HttpMethod']).sort()).toEqual(['GET', 'POST']);
    for (const method of methods) {
      expect(method['Properties']).toMatchObject({ AuthorizationType: 'AWS_IAM', Integration: { Type: 'AWS_PROXY' } });
      expect(JSON.stringify(method['Properties']['Integration']['Uri'])).toContain(`"${registration}","Arn"`);
    }
    const iamMethods = Object.values(service.findResources('AWS::ApiGateway::Method')).filter((m) => m['Properties']['AuthorizationType'] === 'AWS_IAM');
    expect(iamMethods).toHaveLength(9);
  });

  it('limits /revocations to the support role in the resource policy, and lets the role invoke it', () => {
    const role = logicalId(service, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('support staff') });
    service.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: ['execute-api:/*/*/keys', 'execute-api:/*/*/keys/*', 'execute-api:/*/*/revocations'],
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [role, 'Arn'] } } },
          },
        ],
      },
    });
    const api = logicalId(service, 'AWS::ApiGateway::RestApi');
    const route = (path: string) => ({ 'Fn::Join': ['', ['arn:aws:execute-api:eu-west-1:111122223333:', { Ref: api }, `/v1/*${path}`]] });
    expect(statementsOf(service, 'support staff')).toEqual([{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [route('/keys'), route('/keys/*'), route('/revocations')] }]);
  });

  it('alarms on revocation list faults and outputs the secret name', () => {
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'keygate/KeygateService', MetricName: 'RevocationListFault', Dimensions: [{ Name: 'service', Value: 'keygate' }], Threshold: 1 });
    service.hasOutput('RevocationSecretName', { Value: 'keygate/revoked-certificates' });
  });
});

describe('certificate binding', () => {
  it('gives the default binding to the authorizer and registration', () => {
    for (const description of ['REQUEST authorizer', 'registration API']) {
      service.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(description),
        Environment: { Variables: Match.objectLike({ KEYGATE_DEFAULT_BINDING: 'thumbprint' }) },
      });
    }
  });
});

describe('KeygateApi defense-in-depth props', () => {
  function stack() {
    return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  }
  function props(scope: Stack, override: Partial<KeygateApiProps>): KeygateApiProps {
    return {
      domainName: 'api.example.com',
      certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', CERTIFICATE_ARN),
      truststoreBucket: s3.Bucket.fromBucketName(scope, 'Bucket', 'truststore-bucket'),
      truststorePath: truststore,
      supportPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/SupportStaff')],
      ...override,
    };
  }
  function variables(scope: Stack, description: string): Record<string, unknown> {
    const fn = Object.values(Template.fromStack(scope).findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp(description) } }))[0];
    return fn?.['Properties']['Environment']['Variables'] as Record<string, unknown>;
  }

  it('derives the revocation secret from the key prefix namespace', () => {
    expect(defaultRevocationSecretName('keygate/keys/')).toBe('keygate/revoked-certificates');
    expect(defaultRevocationSecretName('teams/payments/keys/')).toBe('teams/payments/revoked-certificates');
    expect(defaultRevocationSecretName('keys/')).toBe('keygate-revoked-certificates');
    expect(defaultRevocationSecretName('acme-keys-')).toBe('keygate-revoked-certificates');
  });

  it('takes the revocation secret name and cache time from props, and the replay table from any table', () => {
    const scope = stack();
    const replayTable = dynamodb.Table.fromTableName(scope, 'Replay', 'keygate-replay');
    const api = new KeygateApi(
      scope,
      'Keygate',
      props(scope, { settings: { secretPrefix: 'teams/payments/keys/' }, certificateRevocation: { secretName: 'teams/payments/crl', cacheSeconds: 300 }, replayTable, defaultBinding: 'subject' }),
    );

    expect(api.revocationSecretName).toBe('teams/payments/crl');
    expect(api.replayTableFaultAlarm).toBeDefined();
    expect(variables(scope, 'REQUEST authorizer')).toMatchObject({
      KEYGATE_REPLAY_TABLE: 'keygate-replay',
      KEYGATE_REVOCATION_SECRET: 'teams/payments/crl',
      KEYGATE_REVOCATION_CACHE_SECONDS: '300',
      KEYGATE_DEFAULT_BINDING: 'subject',
    });
    const authorizer = statementsOf(Template.fromStack(scope), 'REQUEST authorizer');
    const putItem = authorizer.filter((statement) => statement['Action'] === 'dynamodb:PutItem');
    expect(putItem).toHaveLength(1);
    expect(JSON.stringify(putItem[0]?.['Resource'])).toMatch(/:dynamodb:eu-west-1:111122223333:table\/keygate-replay"/);
    const revocation = authorizer.filter((statement) => statement['Action'] === 'secretsmanager:GetSecretValue' && JSON.stringify(statement['Resource']).includes('crl'));
    expect(revocation).toHaveLength(1);
    expect(JSON.stringify(revocation[0]?.['Resource'])).toMatch(/:secretsmanager:eu-west-1:111122223333:secret:teams\/payments\/crl-\?{6}"/);
  });

  it('gives the authorizer the same key-size limits as registration (it re-checks stored keys against them)', () => {
    const scope = stack();
    new KeygateApi(scope, 'Keygate', props(scope, { settings: { minKeyBits: 3072, maxKeyBits: 8192 } }));
    for (const fn of ['REQUEST authorizer', 'registration API']) {
      expect(variables(scope, fn)).toMatchObject({ KEYGATE_MIN_KEY_BITS: '3072', KEYGATE_MAX_KEY_BITS: '8192' });
    }
  });

  it('turns nothing on by default: no replay table, revocation list, /revocations route or extra alarms', () => {
    const scope = stack();
    const api = new KeygateApi(scope, 'Keygate', props(scope, {}));

    expect(api.revocationSecretName).toBeUndefined();
    expect(api.replayTableFaultAlarm).toBeUndefined();
    expect(api.revocationListFaultAlarm).toBeUndefined();
    for (const description of ['REQUEST authorizer', 'registration API']) {
      const env = variables(scope, description);
      expect(env).toMatchObject({ KEYGATE_DEFAULT_BINDING: 'none' });
      expect(Object.keys(env).filter((key) => /REPLAY|REVOCATION/.test(key))).toEqual([]);
    }
    const template = Template.fromStack(scope);
    expect(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'revocations' } })).toEqual({});
    expect(JSON.stringify(template.toJSON())).not.toMatch(/dynamodb:|ReplayTableFault|RevocationListFault/);
  });

  function attempt(override: (scope: Stack) => Partial<KeygateApiProps>) {
    return () => {
      const scope = stack();
      return new KeygateApi(scope, 'Keygate', props(scope, override(scope)));
    };
  }
  const table = (scope: Stack) => dynamodb.Table.fromTableName(scope, 'Replay', 'keygate-replay');

  it.each<[string, (scope: Stack) => Partial<KeygateApiProps>, RegExp]>([
    [
      'replay protection is on with an authorizer cache',
      (scope) => ({ replayTable: table(scope), authorizerCacheTtl: Duration.seconds(60) }),
      /^KeygateApi: authorizerCacheTtl 60s cannot be used with replayTable: a cached Allow would skip the replay check; set it to 0 or leave out replayTable$/,
    ],
    [
      'certificate revocation with an authorizer cache',
      () => ({ certificateRevocation: {}, authorizerCacheTtl: Duration.seconds(30) }),
      /^KeygateApi: authorizerCacheTtl 30s cannot be used with certificateRevocation: a cached decision is reused whatever client certificate comes with the token; set it to 0$/,
    ],
    [
      'a default binding with an authorizer cache',
      () => ({ defaultBinding: 'subject', authorizerCacheTtl: Duration.seconds(30) }),
      /^KeygateApi: authorizerCacheTtl 30s cannot be used with defaultBinding subject/,
    ],
    ['defaultBinding is not a policy', () => ({ defaultBinding: 'cn' as BindingPolicy }), /^KeygateApi: defaultBinding "cn" is invalid: use one of none, subject, thumbprint$/],
    [
      'the revocation secret is inside the key prefix',
      () => ({ certificateRevocation: { secretName: 'keygate/keys/revoked' } }),
      /^KeygateApi: certificateRevocation.secretName "keygate\/keys\/revoked" is inside the key prefix keygate\/keys\/: it would be listed and read as a key name; set a name outside the prefix, such as keygate\/revoked-certificates$/,
    ],
    [
      'the default revocation secret would be inside the key prefix',
      () => ({ settings: { secretPrefix: 'keygate-' }, certificateRevocation: {} }),
      /^KeygateApi: certificateRevocation.secretName "keygate-revoked-certificates" is inside the key prefix keygate-: .*set a name outside the prefix$/,
    ],
    ['the revocation secret name has a bad character', () => ({ certificateRevocation: { secretName: 'keygate:revoked' } }), /^KeygateApi: invalid settings: KEYGATE_REVOCATION_SECRET="keygate:revoked" is invalid/],
    [
      'the revocation cache is above 900 s',
      () => ({ certificateRevocation: { cacheSeconds: 901 } }),
      /^KeygateApi: invalid settings: KEYGATE_REVOCATION_CACHE_SECONDS="901" is invalid: expected an integer from 0 to 900/,
    ],
  ])('fails when %s', (_name, override, message) => {
    expect(attempt(override)).toThrow(KeygateApiError);
    expect(attempt(override)).toThrow(message);
  });

  it('fails through the app with a context error before building anything', () => {
    expect(() => buildApp(join(temp.dir, 'refused'), { ...baseContext(truststore), replayProtection: 'true', authorizerCacheSeconds: '30' })).toThrow(ContextError);
  });
});

describe('compliance with every feature on', () => {
  it('cdk-nag AwsSolutionsChecks finds nothing unacknowledged', () => {
    expect(() => built.app.synth({ force: true })).not.toThrow();
  });

  it('acknowledges only reviewed rules, each with a real reason', () => {
    const acknowledged = new Map<string, string>();
    for (const construct of built.app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.set(`${construct.node.path} ${id}`, reason);
      }
    }
    for (const [id, reason] of acknowledged) expect(reason.trim().length, id).toBeGreaterThan(40);
    const rules = [...new Set([...acknowledged.keys()].map((key) => key.split(' ')[1]?.replace(/\[.*$/, '').replace(/^\w+::/, '')))].sort();
    expect(rules).toEqual(['AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-COG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-SNS2']);
    // Nothing about the table or the revocation secret is acknowledged: neither needs a wildcard.
    expect([...acknowledged.keys()].filter((key) => /ReplayTable|revoked-certificates|DDB/.test(key))).toEqual([]);
  });

  it('cfn-lint reports no errors on either template', { timeout: CFN_LINT_TEST_TIMEOUT_MS }, () => {
    const templates = templatesIn(built.app.synth().directory);
    expect(templates).toHaveLength(2);
    expectCfnLintClean(templates);
  });
});
