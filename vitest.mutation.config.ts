import { defineConfig } from 'vitest/config';

// The unit tests only: what `npm run mutation` runs against each mutant of the token core.
// MUTATION_TESTS (comma-separated globs) narrows a run to the tests of one file, e.g.
// MUTATION_TESTS=test/unit/core/bearer.test.ts npx stryker run --mutate lambdas/core/bearer.ts.
// Narrow here, not with Stryker's --testFiles, which can report module-level mutants as
// survivors (stryker-js#6144).
const narrowed = process.env['MUTATION_TESTS']?.split(',').filter((glob) => glob.trim() !== '');

export default defineConfig({
  test: {
    include: narrowed && narrowed.length > 0 ? narrowed : ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    silent: true,
  },
});
