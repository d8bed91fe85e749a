// Bundles the keygate CLI into dist/keygate.mjs with the project's local esbuild (fast start, no tsx at run time).
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

await build({
  entryPoints: ['cli/keygate.ts'],
  outfile: 'dist/keygate.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
// Executable, so ./dist/keygate.mjs runs as well as npx keygate (which sets the mode itself).
await chmod('dist/keygate.mjs', 0o755);
