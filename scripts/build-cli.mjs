// Bundles the keygate CLI into dist/keygate.mjs with the project's local esbuild (fast start, no tsx at run time).
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
