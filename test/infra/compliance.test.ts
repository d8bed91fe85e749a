import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseContext, buildApp, clientCa, tempDir, writePem, type BuiltApp } from './support.js';

const temp = tempDir();
afterAll(() => temp.cleanup());

let truststore: string;
let variants: Array<{ name: string; outdir: string; built: BuiltApp }>;

beforeAll(async () => {
  truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  const contexts: Record<string, Record<string, unknown>> = {
    default: baseContext(truststore),
    proxied: {
      ...baseContext(truststore),
      backendUrl: 'https://backend.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
      supportPrincipalArns: 'arn:aws:iam::111122223333:role/Support',
      authorizerCacheSeconds: '60',
      createCloudWatchRole: 'false',
    },
  };
  variants = Object.entries(contexts).map(([name, context]) => {
    const outdir = join(temp.dir, name);
    return { name, outdir, built: buildApp(outdir, context) };
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing unacknowledged in either stack of either variant', () => {
    for (const { built } of variants) expect(() => built.app.synth()).not.toThrow();
  });

  it('is active: an unacknowledged finding fails synth', () => {
    const built = buildApp(join(temp.dir, 'violating'), baseContext(truststore));
    new s3.Bucket(built.stateful, 'CarelessBucket');

    expect(() => built.app.synth()).toThrow(/AwsSolutions-S1'/);
  });

  it('has a real reason for every acknowledgement, and only the reviewed ones', () => {
    const acknowledged = new Map<string, string>();
    for (const { built } of variants) {
      for (const construct of built.app.node.findAll()) {
        for (const entry of construct.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledged.set(`${construct.node.path} ${id}`, reason);
        }
      }
    }

    for (const [id, reason] of acknowledged) expect(reason.trim().length, id).toBeGreaterThan(40);
    // CDK records a bare rule id as `Annotation::<id>`; cdk-nag strips that prefix when it matches.
    const rules = [...new Set([...acknowledged.keys()].map((key) => key.split(' ')[1]?.replace(/\[.*$/, '').replace(/^\w+::/, '')))].sort();
    expect(rules).toEqual(['AwsSolutions-APIG2', 'AwsSolutions-APIG3', 'AwsSolutions-COG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1']);
  });
});

describe('cfn-lint', () => {
  it('reports no errors on any synthesized template', () => {
    const templates = variants.flatMap(({ built, outdir }) => {
      built.app.synth();
      return readdirSync(outdir)
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => join(outdir, file));
    });
    expect(templates).toHaveLength(4);

    const lint = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...templates], { encoding: 'utf8' });

    expect(lint.error).toBeUndefined();
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    // Exit-code bit 2 means errors; warnings (4, CDK's redundant DependsOn) are tolerated.
    expect(lint.status !== null && (lint.status & 2) === 0, lint.stdout + lint.stderr).toBe(true);
  });
});
