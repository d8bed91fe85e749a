import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take tens of CPU-seconds each, longest first (measured, see the README's
 * development notes). Started first, they run beside the many short files instead of being the
 * tail of the run. Vitest's own order (longest first by the durations it cached from the last
 * run) needs a previous run; a fresh clone has none, and then orders by file size, which puts
 * these short-but-slow files last.
 */
const SLOWEST_FIRST = [
  'test/integration/name-index.test.ts',
  'test/bench/bench-schema.test.ts',
  'test/infra/cdk-synth.test.ts',
  'test/e2e/examples.test.ts',
  'test/infra/keygate-stacks.test.ts',
  'test/infra/example-cdk-app.test.ts',
  'test/infra/replay-binding-revocation-synth.test.ts',
  'test/integration/authorizer-handler.test.ts',
  'test/e2e/local-server.test.ts',
];

class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = SLOWEST_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    return ordered
      .map((spec, position) => ({ spec, position, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single file at a time on 2 cores,
    // while many files mostly wait on a child (moto, cfn-lint, cdk synth, keygate serve, a JVM).
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowestFirstSequencer },
    silent: 'passed-only',
  },
});
