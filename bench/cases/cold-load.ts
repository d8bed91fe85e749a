import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { median } from '../lib/measure.js';
import type { CaseResult } from '../lib/report.js';
import { LAMBDA_ENV } from '../lib/lambda-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The NodejsFunction bundling options of lib/keygate-function.ts (ESM, minified, tree-shaken, SDK bundled). */
export const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  treeShaking: true,
  external: [],
  banner: { js: "import { createRequire as __keygateCreateRequire } from 'node:module'; const require = __keygateCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};

/** The smallest Lambda that reads a secret: the SDK-only floor. */
const SDK_ONLY_ENTRY = `import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
const client = new SecretsManagerClient({});
export const handler = async (event) => client.send(new GetSecretValueCommand({ SecretId: String(event.name) }));
`;

export interface Bundles {
  readonly dir: string;
  readonly authorizer: string;
  readonly sdkOnly: string;
  readonly bare: string;
}

export async function buildBundles(): Promise<Bundles> {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-'));
  const authorizer = join(dir, 'authorizer', 'index.mjs');
  const sdkOnly = join(dir, 'sdk-only', 'index.mjs');
  const bare = join(dir, 'bare', 'index.mjs');
  await build({ ...LAMBDA_BUILD, entryPoints: [join(ROOT, 'lambdas/authorizer/handler.ts')], outfile: authorizer });
  await build({ ...LAMBDA_BUILD, stdin: { contents: SDK_ONLY_ENTRY, resolveDir: ROOT, loader: 'js', sourcefile: 'sdk-only.mjs' }, outfile: sdkOnly });
  await build({ ...LAMBDA_BUILD, stdin: { contents: 'export const handler = async () => ({});\n', resolveDir: ROOT, loader: 'js', sourcefile: 'bare.mjs' }, outfile: bare });
  return { dir, authorizer, sdkOnly, bare };
}

export function removeBundles(bundles: Bundles): void {
  rmSync(bundles.dir, { recursive: true, force: true });
}

/** bundle-bytes: the authorizer bundle against the SDK-only bundle (what every Secrets Manager reader ships). */
export function bundleBytesCase(bundles: Bundles): CaseResult {
  return { case: 'bundle-bytes', unit: 'bytes', floor: statSync(bundles.sdkOnly).size, keygate: statSync(bundles.authorizer).size, peers: {} };
}


/** Milliseconds from spawning `node` to its exit after importing the module (and reading its handler export). */
function timeImport(file: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(`file://${file}`)}); if (typeof m.handler !== 'function') process.exit(3);`], {
    env: LAMBDA_ENV,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`importing ${file} failed (${result.status}): ${result.stderr.toString().slice(0, 2000)}`);
  return elapsed;
}

/**
 * cold-load: a fresh process importing the authorizer bundle, against the SDK-only bundle (floor)
 * and a bundle exporting an empty handler (bare-node: node's own start). Alternated run by run.
 */
export function coldLoadCase(bundles: Bundles, runs: number): CaseResult {
  const order = [
    ['floor', bundles.sdkOnly],
    ['keygate', bundles.authorizer],
    ['bare-node', bundles.bare],
  ] as const;
  const times = new Map<string, number[]>(order.map(([name]) => [name, []]));
  for (const [, file] of order) timeImport(file); // warm the page cache
  for (let run = 0; run < runs; run++) {
    const rotated = order.map((_, i) => order[(i + run) % order.length] as (typeof order)[number]);
    for (const [name, file] of rotated) times.get(name)?.push(timeImport(file));
  }
  return {
    case: 'cold-load',
    unit: 'ms',
    floor: median(times.get('floor') ?? []),
    keygate: median(times.get('keygate') ?? []),
    peers: { 'bare-node': median(times.get('bare-node') ?? []) },
  };
}
