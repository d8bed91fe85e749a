import { defineConfig } from 'vitest/config';

// The unit tests only: what `npm run mutation` runs against each mutant of the token core.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    silent: true,
  },
});
