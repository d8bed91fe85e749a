import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCa } from '../../cli/pki/x509.js';
import { deny, publicDetailOf } from '../../lambdas/core/reasons.js';
import { buildApp, baseContext, CFN_LINT_TEST_TIMEOUT_MS, clientCa, expectCfnLintClean, templatesIn, tempDir, writePem, type BuiltApp } from './support.js';


/** cfn-lint takes ~2 s per template alone, several times that on a loaded machine. */
const temp = tempDir();
afterAll(() => temp.cleanup());

let truststorePath: string;
let truststoreSha256: string;
let built: BuiltApp;
let service: Template;
let stateful: Template;
/** Every option changed from its default. */
let variantApp: BuiltApp;
let variant: Template;

beforeAll(async () => {
  truststorePath = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  truststoreSha256 = createHash('sha256').update(readFileSync(truststorePath)).digest('hex');
  built = buildApp(join(temp.dir, 'default'), {
    ...baseContext(truststorePath),
    supportPrincipalArns: 'arn:aws:iam::111122223333:role/SupportStaff, arn:aws:iam::444455556666:user/alice',
  });
  service = Template.fromStack(built.service);
  stateful = Template.fromStack(built.stateful);

  const expiring = await createSelfSignedCa({ subject: 'CN=Expiring CA', notAfter: new Date(Date.now() + 5 * 86_400_000) });
  variantApp = buildApp(join(temp.dir, 'variant'), {
    ...baseContext(writePem(temp.dir, 'expiring.pem', expiring.certificatePem)),
    backendUrl: 'https://backend.internal.example.com/base/',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
    authorizerCacheSeconds: '120',
    createCloudWatchRole: 'false',
    supportPrincipalArns: '',
    trustAccountForSupport: 'true',
    alarmEmail: 'ops@example.com',
  });
  variant = Template.fromStack(variantApp.service);
});

function logicalId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, props === undefined ? undefined : { Properties: Match.objectLike(props) }));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('mutual TLS', () => {
  it('serves a regional custom domain with TLS 1.2 and the truststore at its content-addressed key and version', () => {
    const copy = logicalId(service, 'Custom::KeygateTruststoreCopy');
    service.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
      RegionalCertificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012',
      MutualTlsAuthentication: {
        TruststoreUri: { 'Fn::Join': ['', ['s3://', { 'Fn::ImportValue': Match.stringLikeRegexp('TruststoreBucket') }, `/truststore/${truststoreSha256}.pem`]] },
        TruststoreVersion: { 'Fn::GetAtt': [copy, 'VersionId'] },
      },
    });
  });

  it('copies the checked truststore from its asset to that key with keygate\'s own provider, which may write that key only', () => {
    const copy = Object.values(service.findResources('Custom::KeygateTruststoreCopy'));
    expect(copy).toHaveLength(1);
    const provider = logicalId(service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('copy of the keygate truststore') });
    expect(copy[0]?.['Properties']).toEqual({
      ServiceToken: { 'Fn::GetAtt': [provider, 'Arn'] },
      SourceBucket: 'cdk-hnb659fds-assets-111122223333-eu-west-1',
      SourceKey: expect.stringMatching(/^[0-9a-f]{64}\.pem$/),
      Bucket: { 'Fn::ImportValue': expect.stringMatching(/TruststoreBucket/) },
      Key: `truststore/${truststoreSha256}.pem`,
    });
    const role = (Object.values(service.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('copy of the keygate truststore') } }))[0]?.['Properties']['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const rolePolicies = service.findResources('AWS::IAM::Role')[role]?.['Properties']['Policies'] as Array<{ PolicyDocument: { Statement: unknown[] } }>;
    expect(rolePolicies.flatMap((policy) => policy.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: expect.stringMatching(/^arn:aws:s3:::cdk-hnb659fds-assets-111122223333-eu-west-1\/[0-9a-f]{64}\.pem$/) },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::ImportValue': expect.stringMatching(/TruststoreBucket/) }, `/truststore/${truststoreSha256}.pem`]] } },
    ]);
  });

  it('disables the execute-api endpoint, which would bypass mutual TLS', () => {
    service.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true, EndpointConfiguration: { Types: ['REGIONAL'] } });
    expect(Object.keys(service.toJSON()['Outputs'] as object)).not.toContain(expect.stringMatching(/Endpoint/));
  });

  it('keeps the truststore in a versioned, encrypted, SSL-only, private and retained bucket', () => {
    stateful.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    });
    stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });
});

describe('authorizer', () => {
  it('is a REQUEST authorizer on the Authorization header with caching off by default', () => {
    service.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('turns a Deny into 401 with the bearer error, public reason and detail, and a missing token into 401 Bearer', () => {
    const template = '{"error":"$context.authorizer.error","reason":"$context.authorizer.reason","detail":"$context.authorizer.detail"}';
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer error="invalid_token"'` },
      ResponseTemplates: { 'application/json': template },
    });
    // API Gateway substitutes the context values as they are: the body is valid JSON for every detail
    // the authorizer lets through, and for the empty one of key, name, certificate and replay denials.
    const render = (context: Record<string, string>) => template.replace(/\$context\.authorizer\.(\w+)/g, (_match, key: string) => context[key] ?? '');
    const detail = publicDetailOf(deny('lifetime_too_long', 'exp - iat is 1800000 s; at most 1800 s is allowed; exp and iat look like milliseconds'));
    expect(JSON.parse(render({ error: 'invalid_token', reason: 'lifetime_too_long', detail }))).toEqual({ error: 'invalid_token', reason: 'lifetime_too_long', detail });
    expect(JSON.parse(render({ error: 'invalid_token', reason: 'invalid_signature', detail: '' }))).toEqual({ error: 'invalid_token', reason: 'invalid_signature', detail: '' });
    // A route outside the name's permissions: the same response type, so the same 401 and static header.
    expect(JSON.parse(render({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' }))).toEqual({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' });
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': `'Bearer'` },
    });
  });

  it('answers an authorizer failure with 503 and every other gateway error as JSON', () => {
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'AUTHORIZER_FAILURE',
      StatusCode: '503',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":"service_unavailable"') },
    });
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': '{"error":"$context.error.responseType","message":$context.error.messageString}' },
      });
    }
  });

  it('protects GET /whoami with the authorizer, served by the echo function', () => {
    const authorizer = logicalId(service, 'AWS::ApiGateway::Authorizer');
    const whoami = logicalId(service, 'AWS::ApiGateway::Resource', { PathPart: 'whoami' });
    service.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: whoami },
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizer },
      Integration: { Type: 'AWS_PROXY' },
    });
  });
});

describe('registration routes and the support role', () => {
  it('puts every /keys route behind AWS_IAM and no other route', () => {
    const methods = service.findResources('AWS::ApiGateway::Method');
    const iamMethods = Object.values(methods).filter((m) => m['Properties']['AuthorizationType'] === 'AWS_IAM');
    expect(iamMethods).toHaveLength(7);
    expect(Object.values(methods).every((m) => ['AWS_IAM', 'CUSTOM'].includes(m['Properties']['AuthorizationType']))).toBe(true);
    const restore = logicalId(service, 'AWS::ApiGateway::Resource', { PathPart: 'restore' });
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ResourceId: { Ref: restore }, AuthorizationType: 'AWS_IAM' });
    const access = logicalId(service, 'AWS::ApiGateway::Resource', { PathPart: 'access' });
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'PUT', ResourceId: { Ref: access }, AuthorizationType: 'AWS_IAM' });
  });

  it('limits /keys in the resource policy to the support role', () => {
    const role = logicalId(service, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('support staff') });
    service.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: ['execute-api:/*/*/keys', 'execute-api:/*/*/keys/*'],
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [role, 'Arn'] } } },
          },
        ],
      },
    });
  });

  it('lets the configured principals assume the support role, which may invoke /keys… only', () => {
    const role = logicalId(service, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('support staff') });
    service.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('support staff'),
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:role/SupportStaff', 'arn:aws:iam::444455556666:user/alice'] } },
        ],
      },
    });
    const api = logicalId(service, 'AWS::ApiGateway::RestApi');
    const route = (path: string) => ({ 'Fn::Join': ['', ['arn:aws:execute-api:eu-west-1:111122223333:', { Ref: api }, `/v1/*${path}`]] });
    service.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [route('/keys'), route('/keys/*')] }] },
    });
  });

});

describe('function permissions', () => {
  const secrets = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/keys/*';
  const policyOf = (description: string) => {
    const role = logicalId(service, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp(description) });
    const policies = Object.values(service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
    expect(policies).toHaveLength(1);
    return policies[0]?.['Properties']['PolicyDocument']['Statement'] as Array<Record<string, unknown>>;
  };

  it('lets the authorizer only read secrets under the prefix (and write its own logs)', () => {
    const statements = policyOf('REQUEST authorizer');
    expect(statements).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^KeygateAuthorizerLogGroup/), 'Arn'] } },
      // GetSecretValue only: the authorizer never calls DescribeSecret.
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: secrets },
    ]);
  });

  it('lets registration write secrets under the prefix, never force-delete them, and list names', () => {
    const statements = policyOf('^keygate: registration API');
    expect(statements.slice(1)).toEqual([
      {
        // Sorted: the recommended flag @aws-cdk/aws-iam:minimizePolicies orders actions.
        Action: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:RestoreSecret',
          'secretsmanager:TagResource',
        ],
        Effect: 'Allow',
        Resource: secrets,
      },
      { Action: 'secretsmanager:DeleteSecret', Effect: 'Deny', Resource: secrets, Condition: { Bool: { 'secretsmanager:ForceDeleteWithoutRecovery': 'true' } } },
      { Action: 'secretsmanager:ListSecrets', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('gives the echo function no access beyond its logs', () => {
    expect(policyOf('echo backend')).toEqual([expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] })]);
  });
});

describe('functions', () => {
  it('run the newest Node.js runtime on ARM64 with the Powertools and keygate settings', () => {
    service.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('REQUEST authorizer'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'keygate',
          POWERTOOLS_METRICS_NAMESPACE: 'keygate/KeygateService',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          KEYGATE_SECRET_PREFIX: 'keygate/keys/',
          KEYGATE_CLOCK_SKEW_SECONDS: '30',
          KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: '1800',
          KEYGATE_KEY_CACHE_SECONDS: '60',
          KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '10',
          KEYGATE_STALE_IF_ERROR_SECONDS: '300',
          KEYGATE_MIN_KEY_BITS: '2048',
          KEYGATE_MAX_KEY_BITS: '4096',
          KEYGATE_DEFAULT_BINDING: 'none',
        },
      },
    });
    service.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('registration API'),
      Environment: { Variables: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'keygate',
        POWERTOOLS_METRICS_NAMESPACE: 'keygate/KeygateService',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        KEYGATE_SECRET_PREFIX: 'keygate/keys/',
        KEYGATE_MIN_KEY_BITS: '2048',
        KEYGATE_MAX_KEY_BITS: '4096',
        KEYGATE_RECOVERY_WINDOW_DAYS: '7',
        KEYGATE_DEFAULT_BINDING: 'none',
      } },
    });
    const keygateFunctions = Object.values(service.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^keygate: ') } }));
    expect(keygateFunctions).toHaveLength(3);
    for (const fn of keygateFunctions) expect(fn['Properties']).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('log to their own retained log groups with a one-year retention', () => {
    const functions = Object.values(service.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(4);
    for (const fn of functions) expect(fn['Properties']['LoggingConfig']).toEqual({ LogGroup: { Ref: expect.any(String) } });
    const groups = Object.values(service.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(5);
    for (const group of groups) expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
  });
});

describe('operations', () => {
  it('writes JSON access logs with the caller, key, certificate serial and issuer, reason, status and latency', () => {
    const stage = Object.values(service.findResources('AWS::ApiGateway::Stage'))[0];
    const format = JSON.parse(stage?.['Properties']['AccessLogSetting']['Format'] as string) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      principalId: '$context.authorizer.principalId',
      keyName: '$context.authorizer.keyName',
      clientCertSerial: '$context.identity.clientCert.serialNumber',
      clientCertIssuer: '$context.identity.clientCert.issuerDN',
      reason: '$context.authorizer.reason',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      iamPrincipal: '$context.identity.userArn',
    });
  });

  it('throttles the stage and logs errors without request data', () => {
    service.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }],
    });
  });

  it('creates the account logging role deliberately, and retains it', () => {
    service.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: { ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }] },
    });
    service.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('alarms on API 5XX, authorizer errors and throttles, key-store integrity errors and faults, in its own namespace', () => {
    const authorizer = logicalId(service, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('REQUEST authorizer') });
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm['Properties'] as Record<string, unknown>);
    const watched = alarms.map((alarm) => `${alarm['Namespace'] as string} ${alarm['MetricName'] as string}`).sort();
    expect(watched).toEqual(['AWS/ApiGateway 5XXError', 'AWS/Lambda Errors', 'AWS/Lambda Throttles', 'keygate/KeygateService KeyIndexFault', 'keygate/KeygateService KeyStoreFault', 'keygate/KeygateService KeyStoreIntegrityError']);
    for (const alarm of alarms) expect(alarm).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: authorizer } }] });
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: { Ref: Match.stringLikeRegexp('^KeygateApiDeploymentStagev1') } }]),
    });
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'KeyStoreIntegrityError', Dimensions: [{ Name: 'service', Value: 'keygate' }] });
  });

  it('gives every alarm an action: the alarm topic, SSL-only, which the stack outputs', () => {
    const topic = logicalId(service, 'AWS::SNS::Topic');
    const alarms = Object.entries(service.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) expect(alarm['Properties']['AlarmActions'], id).toEqual([{ Ref: topic }]);
    service.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
    service.resourceCountIs('AWS::SNS::Subscription', 0);
    service.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  it('subscribes the alarmEmail from context to the alarm topic', () => {
    variant.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: logicalId(variant, 'AWS::SNS::Topic') } });
  });

  it('has a dashboard of requests, decisions, denials by reason, latency, faults and Secrets Manager reads', () => {
    const dashboards = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // The body is a join of JSON text and references (function names, the API name): keep the text.
    const [, parts] = dashboards[0]?.['Properties']['DashboardBody']['Fn::Join'] as [string, unknown[]];
    const body = parts.filter((part): part is string => typeof part === 'string').join('');
    for (const title of ['Requests and errors', 'Authorizer decisions', 'Denied by reason', 'Latency (p99)', 'Faults', 'Secrets Manager reads']) expect(body).toContain(`"title":"${title}`);
    for (const metric of ['Allowed', 'Denied', 'KeyCacheMiss', 'KeyStoreFault', 'KeyStoreIntegrityError', 'KeyIndexFault', 'KeyIndexMissing', 'NameNotRegistered']) expect(body).toContain(`"keygate/KeygateService","${metric}"`);
    expect(body).toContain(`SEARCH('{keygate/KeygateService,reason,service} MetricName=\\"Denied\\"', 'Sum', 300)`);
  });

  it('outputs the API URL, the regional domain name for DNS and the support role ARN', () => {
    service.hasOutput('ApiUrl', { Value: 'https://api.example.com/' });
    service.hasOutput('RegionalDomainName', { Value: { 'Fn::GetAtt': [logicalId(service, 'AWS::ApiGateway::DomainName'), 'RegionalDomainName'] } });
    service.hasOutput('SupportRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeygateSupportRole'), 'Arn'] } });
  });
});

describe('with every option changed', () => {
  it('proxies every other route to the backend behind the authorizer, telling it the key name', () => {
    variant.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      AuthorizationType: 'CUSTOM',
      RequestParameters: { 'method.request.path.proxy': true },
      Integration: {
        Type: 'HTTP_PROXY',
        IntegrationHttpMethod: 'ANY',
        Uri: 'https://backend.internal.example.com/base/{proxy}',
        RequestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy', 'integration.request.header.X-Keygate-Key-Name': 'context.authorizer.keyName' },
      },
    });
    variant.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      AuthorizationType: 'CUSTOM',
      Integration: { Type: 'HTTP_PROXY', Uri: 'https://backend.internal.example.com/base/' },
    });
  });

  it('has no echo function and no /whoami', () => {
    expect(variant.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'whoami' } })).toEqual({});
    expect(variant.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('echo') } })).toEqual({});
  });

  it('creates an alias record for the domain', () => {
    variant.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: { DNSName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeygateDomain'), 'RegionalDomainName'] } },
    });
  });

  it('takes the authorizer cache TTL from context', () => {
    variant.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 120 });
  });

  it('leaves out the account logging role when asked', () => {
    variant.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(variant.findResources('AWS::IAM::Role'))).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
  });

  it('lets the account assume the support role only when asked to trust the account', () => {
    variant.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('support staff'),
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' } }] },
    });
  });

  it('warns at synth about a truststore certificate that expires within 30 days', () => {
    Annotations.fromStack(variantApp.service).hasWarning('/KeygateService/Keygate/Default', Match.stringLikeRegexp('certificate #1 \\(CN=Expiring CA\\) expires in [45] days'));
  });
});

describe('compliance', () => {
  it('cdk-nag AwsSolutionsChecks finds nothing unacknowledged in either stack of either app', () => {
    for (const app of [built.app, variantApp.app]) expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('cdk-nag is active: an unacknowledged finding fails synth', () => {
    const careless = buildApp(join(temp.dir, 'violating'), baseContext(truststorePath));
    new s3.Bucket(careless.stateful, 'CarelessBucket');

    expect(() => careless.app.synth()).toThrow(/AwsSolutions-S1'/);
  });

  it('has a real reason for every cdk-nag acknowledgement, and only the reviewed rules', () => {
    const acknowledged = new Map<string, string>();
    for (const app of [built.app, variantApp.app]) {
      for (const construct of app.node.findAll()) {
        for (const entry of construct.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.set(`${construct.node.path} ${id}`, reason);
        }
      }
    }

    for (const [id, reason] of acknowledged) expect(reason.trim().length, id).toBeGreaterThan(40);
    // CDK records a bare rule id as `Annotation::<id>`; cdk-nag strips that prefix when it matches.
    const rules = [...new Set([...acknowledged.keys()].map((key) => key.split(' ')[1]?.replace(/\[.*$/, '').replace(/^\w+::/, '')))].sort();
    expect(rules).toEqual(['AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-COG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-SNS2']);
  });

  it('cfn-lint reports no errors on any synthesized template', { timeout: CFN_LINT_TEST_TIMEOUT_MS }, () => {
    const templates = [built, variantApp].flatMap(({ app }) => templatesIn(app.synth().directory));
    expect(templates).toHaveLength(4);
    expectCfnLintClean(templates);
  });
});
