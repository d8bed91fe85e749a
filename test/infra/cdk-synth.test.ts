import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_ARN, clientCa, expectCfnLintClean, SUPPORT_ROLE_ARN, templatesIn, tempDir, writePem } from './support.js';

// A real `cdk synth` process bundles three functions: tens of seconds on a loaded 2-core machine.
const SYNTH_TEST_TIMEOUT_MS = 180_000;

const temp = tempDir();
afterAll(() => temp.cleanup());

const projectRoot = new URL('../..', import.meta.url).pathname;

/** The environment of a fresh machine: no AWS credentials or defaults, and a Docker that fails if called. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  }
  return { ...env, CDK_DOCKER: '/bin/false', AWS_EC2_METADATA_DISABLED: 'true' };
}

function cdkSynth(outdir: string, context: Record<string, string>) {
  const args = ['cdk', 'synth', '--no-notices', '--quiet', '-o', outdir, ...Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
  return spawnSync('npx', args, { cwd: projectRoot, env: offlineEnv(), encoding: 'utf8', timeout: SYNTH_TEST_TIMEOUT_MS - 10_000 });
}

describe('npx cdk synth', () => {
  let truststore: string;

  beforeAll(async () => {
    truststore = writePem(temp.dir, 'truststore.pem', (await clientCa()).certificatePem);
  });

  it('synthesizes offline, bundling the functions with the local esbuild and no Docker', () => {
    const outdir = join(temp.dir, 'cdk.out');

    const result = cdkSynth(outdir, { domainName: 'api.example.com', certificateArn: CERTIFICATE_ARN, truststore, supportPrincipalArns: SUPPORT_ROLE_ARN });

    expect(result.status, result.stderr).toBe(0);
    const templates = templatesIn(outdir);
    expect(templates.map((path) => path.slice(outdir.length + 1)).sort()).toEqual(['KeygateService.template.json', 'KeygateStateful.template.json']);
    expectCfnLintClean(templates);
    const template = JSON.parse(readFileSync(join(outdir, 'KeygateService.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };
    const bundled = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:is-bundled'] === true);
    expect(bundled).toHaveLength(3);
    for (const fn of bundled) {
      const code = readFileSync(join(outdir, fn.Metadata?.['aws:asset:path'] as string, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __keygateCreateRequire } from 'node:module';")).toBe(true);
      expect(existsSync(join(outdir, fn.Metadata?.['aws:asset:path'] as string, 'index.mjs.map'))).toBe(true);
      // Minified: a few lines per kilobyte at most (unminified code has about 25).
      expect(code.split('\n').length).toBeLessThan(5 + code.length / 1000);
    }
  }, SYNTH_TEST_TIMEOUT_MS);

  it('bootstraps without keygate context when told not to run the app (--app \'\'): it gets as far as asking for credentials', () => {
    const result = spawnSync('npx', ['cdk', 'bootstrap', '--no-notices', '--app', '', 'aws://111122223333/eu-west-1'], { cwd: projectRoot, env: offlineEnv(), encoding: 'utf8', timeout: SYNTH_TEST_TIMEOUT_MS - 10_000 });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/no credentials have been configured/);
    expect(result.stderr).not.toMatch(/^keygate: context/m);
  }, SYNTH_TEST_TIMEOUT_MS);

  it('stops with one line on stderr, and no stack trace, when context is missing', () => {
    const result = cdkSynth(join(temp.dir, 'missing'), { certificateArn: CERTIFICATE_ARN, truststore, supportPrincipalArns: SUPPORT_ROLE_ARN });

    expect(result.status).not.toBe(0);
    const ours = result.stderr.split('\n').filter((line) => line.startsWith('keygate: '));
    expect(ours).toEqual(['keygate: context "domainName" is missing: pass -c domainName=api.example.com (the custom domain clients call)']);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, SYNTH_TEST_TIMEOUT_MS);
});
