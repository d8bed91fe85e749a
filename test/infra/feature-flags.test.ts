import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseContext, buildApp, clientCa, tempDir, writePem } from './support.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const recommended = createRequire(import.meta.url)('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;

let truststore: string;
beforeAll(async () => {
  truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
});

function deploymentId(name: string, context: Record<string, unknown>): string {
  const built = buildApp(join(temp.dir, name), { ...baseContext(truststore), supportPrincipalArns: 'arn:aws:iam::111122223333:role/SupportStaff', ...context });
  const ids = Object.keys(Template.fromStack(built.service).findResources('AWS::ApiGateway::Deployment'));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('authorizer result cache', () => {
  it('tells the authorizer function its TTL (bound names then fail closed), and only when it is on', () => {
    const authorizerEnvironment = (name: string, seconds: string) => {
      const built = buildApp(join(temp.dir, name), { ...baseContext(truststore), supportPrincipalArns: 'arn:aws:iam::111122223333:role/SupportStaff', authorizerCacheSeconds: seconds });
      const functions = Template.fromStack(built.service).findResources('AWS::Lambda::Function', { Properties: { Description: 'keygate: REQUEST authorizer for RS512 bearer tokens' } });
      return (Object.values(functions)[0]?.['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    };
    expect(authorizerEnvironment('env-60', '60')['KEYGATE_AUTHORIZER_CACHE_SECONDS']).toBe('60');
    expect(authorizerEnvironment('env-0', '0')).not.toHaveProperty('KEYGATE_AUTHORIZER_CACHE_SECONDS');
  }, 120_000);
});

describe('feature flags', () => {
  it('cdk.json sets every flag this aws-cdk-lib recommends, to the recommended value', () => {
    expect(cdkJson.context).toMatchObject(recommended);
  });

  it('a change of the authorizer settings gives the Deployment a new logical ID, so the stage gets the new authorizer', () => {
    expect(deploymentId('cache-0', { authorizerCacheSeconds: '0' })).not.toBe(deploymentId('cache-60', { authorizerCacheSeconds: '60' }));
  }, 120_000);

  it('without authorizerChangeDeploymentLogicalId the same change keeps the old Deployment (why the flag matters)', () => {
    const off = { '@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId': false };
    expect(deploymentId('off-0', { ...off, authorizerCacheSeconds: '0' })).toBe(deploymentId('off-60', { ...off, authorizerCacheSeconds: '60' }));
  }, 120_000);
});
