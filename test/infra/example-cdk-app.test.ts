import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT, CERTIFICATE_ARN, clientCa, expectCfnLintClean, tempDir, writePem } from './support.js';

/** examples/cdk-app imports 'keygate' as another app would: through package.json "exports" (dist/cdk). */
const projectRoot = new URL('../..', import.meta.url).pathname;
const EXAMPLE_TIMEOUT_MS = 180_000;

const temp = tempDir();
afterAll(() => temp.cleanup());

let template: Template;
let templatePath: string;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['scripts/build-lib.mjs', '--js-only'], { cwd: projectRoot, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  const outdir = join(temp.dir, 'cdk.out');
  const context = { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], domainName: 'orders.example.com', certificateArn: CERTIFICATE_ARN, truststore };
  // What `cdk synth --app "npx tsx examples/cdk-app/app.ts"` does: context and output directory through the environment.
  const synth = spawnSync(process.execPath, ['--import', 'tsx', 'examples/cdk-app/app.ts'], {
    cwd: projectRoot,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    encoding: 'utf8',
    timeout: EXAMPLE_TIMEOUT_MS - 30_000,
  });
  expect(synth.status, synth.stderr).toBe(0);
  templatePath = join(outdir, 'Orders.template.json');
  template = Template.fromJSON(JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>);
}, EXAMPLE_TIMEOUT_MS);

describe('examples/cdk-app: keygate inside a team’s own stack', () => {
  it("protects the team's existing route with keygate's REQUEST authorizer on the Authorization header", () => {
    const authorizer = Object.keys(template.findResources('AWS::ApiGateway::Authorizer', { Properties: { Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization', AuthorizerResultTtlInSeconds: 0 } }));
    expect(authorizer).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizer[0] } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'keygate: REQUEST authorizer for RS512 bearer tokens',
      Environment: { Variables: Match.objectLike({ KEYGATE_SECRET_PREFIX: 'orders/keys/', POWERTOOLS_METRICS_NAMESPACE: 'orders/keygate' }) },
    });
  });

  it("answers with keygate's gateway responses", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'ACCESS_DENIED', StatusCode: '401' });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'AUTHORIZER_FAILURE', StatusCode: '503' });
  });

  it('serves the API only through the mutual TLS domain, with the truststore copied by keygate’s provider', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'orders.example.com',
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: { TruststoreVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('TruststoreCopyObject'), 'VersionId'] } },
    });
    template.resourceCountIs('Custom::KeygateTruststoreCopy', 1);
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
  });

  it('puts key registration behind IAM', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((method) => method['Properties'] as Record<string, unknown>);
    const iamOnly = methods.filter((method) => method['AuthorizationType'] === 'AWS_IAM');
    // PUT /keys/{name}, GET /keys, GET /keys/{name}, DELETE /keys/{name}, DELETE /keys/{name}/{kid}, POST …/restore, PUT …/access
    expect(iamOnly).toHaveLength(7);
  });

  it('cfn-lint reports no errors', () => {
    expectCfnLintClean([templatePath]);
  }, 120_000);
});
