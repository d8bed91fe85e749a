import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseContext, buildApp, clientCa, tempDir, writePem } from './support.js';

/**
 * Logical IDs are a contract: a changed ID makes CloudFormation replace the resource (a new
 * domain, a new API id, a lost log group). This test compares every resource of the synthesized
 * templates with the IDs recorded in logical-ids.json. Set KEYGATE_RECORD_LOGICAL_IDS=1 to
 * rewrite the record after a deliberate change, and say why in docs/deploy.md (upgrade notes).
 */
const RECORD = new URL('./logical-ids.json', import.meta.url);
type Recorded = Record<string, Record<string, string>>;

const temp = tempDir();
afterAll(() => temp.cleanup());

const SUPPORT = 'arn:aws:iam::111122223333:role/SupportStaff';
const VARIANTS: Record<string, Record<string, unknown>> = {
  default: { supportPrincipalArns: SUPPORT },
  defenseInDepth: { supportPrincipalArns: SUPPORT, replayProtection: 'true', certificateRevocation: 'true', defaultBinding: 'thumbprint' },
  backendAndZone: {
    supportPrincipalArns: SUPPORT,
    backendUrl: 'https://backend.internal.example.com/base/',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'example.com',
    authorizerCacheSeconds: '120',
    createCloudWatchRole: 'false',
  },
};

/** logical ID → resource type. The Deployment's ID ends in a hash of the API's definition: only its prefix is a contract. */
function resourcesOf(stack: Stack): Record<string, string> {
  const template = stack.resolve((stack as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as { Resources: Record<string, { Type: string }> };
  const entries = Object.entries(template.Resources).map(([id, resource]) => [
    resource.Type === 'AWS::ApiGateway::Deployment' ? id.replace(/[0-9a-f]{32}$/, '<hash>') : id,
    resource.Type,
  ]);
  return Object.fromEntries(entries.sort(([a], [b]) => String(a).localeCompare(String(b))));
}

let synthesized: Recorded;

beforeAll(async () => {
  const truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  synthesized = {};
  for (const [name, context] of Object.entries(VARIANTS)) {
    const built = buildApp(join(temp.dir, name), { ...baseContext(truststore), ...context });
    synthesized[`${name}/KeygateStateful`] = resourcesOf(built.stateful);
    synthesized[`${name}/KeygateService`] = resourcesOf(built.service);
  }
  if (process.env['KEYGATE_RECORD_LOGICAL_IDS'] === '1') writeFileSync(RECORD, `${JSON.stringify(synthesized, null, 2)}\n`);
});

describe('logical IDs', () => {
  it('are those recorded, for the default and every optional feature, so an existing deployment updates in place', () => {
    const recorded = JSON.parse(readFileSync(RECORD, 'utf8')) as Recorded;
    expect(synthesized).toEqual(recorded);
  });
});
