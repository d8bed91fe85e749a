import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { expect } from 'vitest';
import { buildKeygateApp, type KeygateStacks } from '../../bin/app.js';
import { createSelfSignedCa, issueCertificate, type CertifiedKey } from '../../cli/pki/x509.js';
import type { KeygateApiProps } from '../../lib/keygate-api.js';

export const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012';
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';

/** The props every KeygateApi needs (domain, certificate, truststore, support role), with `override` on top. */
export function keygateApiProps(scope: Stack, truststorePath: string, override: Partial<KeygateApiProps> = {}): KeygateApiProps {
  return {
    domainName: 'api.example.com',
    certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', CERTIFICATE_ARN),
    truststoreBucket: s3.Bucket.fromBucketName(scope, 'Bucket', 'truststore-bucket'),
    truststorePath,
    supportPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/SupportStaff')],
    ...override,
  };
}

/** A temporary directory, removed by `cleanup`. */
export function tempDir(prefix = 'keygate-infra-'): { readonly dir: string; readonly cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writePem(dir: string, name: string, ...blocks: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, blocks.join(''));
  return path;
}

export function clientCa(subject = 'CN=Keygate Test Client CA, O=Test'): Promise<CertifiedKey> {
  return createSelfSignedCa({ subject });
}

/** A root and `levels - 1` intermediates below it, root first. */
export async function caChain(levels: number): Promise<CertifiedKey[]> {
  const chain = [await createSelfSignedCa({ subject: 'CN=Level 1 Root' })];
  for (let level = 2; level <= levels; level += 1) {
    const issuer = chain[chain.length - 1] as CertifiedKey;
    chain.push(await issueCertificate({ issuer, profile: 'intermediate-ca', subject: `CN=Level ${level} CA` }));
  }
  return chain;
}

/** The feature flags in cdk.json, which the CLI passes to the app and `new App()` in a test does not. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

export const SUPPORT_ROLE_ARN = 'arn:aws:iam::111122223333:role/SupportStaff';

/** The context every deploy needs: domain, certificate, truststore and who may manage keys. */
export function baseContext(truststore: string): Record<string, unknown> {
  return { domainName: 'api.example.com', certificateArn: CERTIFICATE_ARN, truststore, supportPrincipalArns: SUPPORT_ROLE_ARN };
}

export interface BuiltApp extends KeygateStacks {
  readonly app: App;
}

/**
 * Builds the real app (context validation, both stacks, cdk-nag) into `outdir`. Function code is
 * not bundled unless `bundle` is set. `env` stands in for process.env.
 */
export function buildApp(outdir: string, context: Record<string, unknown>, options: { bundle?: boolean; env?: Record<string, string> } = {}): BuiltApp {
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context } });
  return { app, ...buildKeygateApp(app, options.env ?? {}) };
}

/** The synthesized templates in a cloud assembly directory. */
export function templatesIn(outdir: string): string[] {
  return readdirSync(outdir)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => join(outdir, file));
}

/** cfn-lint is a Python program that takes seconds per template; on a busy machine, well over the default 30 s. */
export const CFN_LINT_TEST_TIMEOUT_MS = 120_000;

/**
 * Runs cfn-lint on the templates and expects no error. Its exit code is a bit mask (2 errors,
 * 4 warnings, 8 informational); anything else, 1 included, means it did not lint (a usage error
 * or a crash), which must not pass as clean.
 */
export function expectCfnLintClean(templates: readonly string[]): void {
  const lint = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...templates], { encoding: 'utf8' });
  expect(lint.error).toBeUndefined();
  expect(lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
  // Warnings (4) are tolerated: CDK's own output has W3005 (redundant DependsOn).
  expect([0, 4, 8, 12], lint.stdout + lint.stderr).toContain(lint.status);
  expect(lint.stderr).not.toMatch(/Traceback/);
}
