// Builds the package's "exports": the CDK constructs (lib/) and the handlers they bundle at synth
// (lambdas/) as ESM JavaScript in dist/cdk, plus .d.ts declarations. `--js-only` skips the
// declarations (a type check of the whole tree, the slow part) for tests that only run the code.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = 'dist/cdk';

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

rmSync(OUT, { recursive: true, force: true });
await build({ entryPoints: [...sources('lib'), ...sources('lambdas')], outdir: OUT, outbase: '.', bundle: false, platform: 'node', target: 'node20', format: 'esm', sourcemap: 'linked', logLevel: 'warning' });
// Plain CommonJS run by CDK's custom resource entrypoint; copied as is.
cpSync('lib/truststore/copy-handler', join(OUT, 'lib/truststore/copy-handler'), { recursive: true });
if (!process.argv.includes('--js-only')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json', '--emitDeclarationOnly'], { stdio: 'inherit' });
}
