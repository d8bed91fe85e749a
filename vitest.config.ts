import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single file at a time on 2 cores,
    // while many files mostly wait on a child (moto, cfn-lint, cdk synth, keygate serve, a JVM).
    maxWorkers: Math.max(2, availableParallelism()),
    silent: 'passed-only',
  },
});
