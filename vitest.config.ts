import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const INFRA = 'test/infra/';
/** In-process tests of pure code and of the CLI's commander program: no servers, no child state. */
const SHARED = ['test/unit/**/*.test.ts', 'test/cli/**/*.test.ts'];

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
  'test/infra/example-cdk-app.test.ts',
  'test/infra/keygate-stacks.test.ts',
  'test/infra/replay-binding-revocation-synth.test.ts',
  'test/infra/feature-flags.test.ts',
  'test/infra/truststore-copy.test.ts',
  'test/e2e/examples.test.ts',
  'test/integration/authorizer-handler.test.ts',
  'test/e2e/local-server.test.ts',
];

/** Slowest first, with the infrastructure files one after another: a worker then passes from one to the next (see `projects`). */
class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const lastListedInfra = SLOWEST_FIRST.findLastIndex((file) => file.startsWith(INFRA));
    const rank = (spec: TestSpecification) => {
      const path = relative(spec.project.config.root, spec.moduleId);
      const index = SLOWEST_FIRST.indexOf(path);
      if (index !== -1) return index;
      return path.startsWith(INFRA) ? lastListedInfra + 0.5 : SLOWEST_FIRST.length;
    };
    return ordered
      .map((spec, position) => ({ spec, position, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.position - b.position)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/run-tmpdir.ts'],
    // Vitest's default is one worker fewer than the cores: a single file at a time on 2 cores,
    // while many files mostly wait on a child (moto, cfn-lint, cdk synth, keygate serve, a JVM).
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowestFirstSequencer },
    silent: 'passed-only',
    projects: [
      {
        extends: true,
        // The first synthesis in a process starts CDK's CloudFormation validation engine
        // (cdk.json sets @aws-cdk/core:validateAgainstDefaultRules, as aws-cdk-lib recommends):
        // about 8 CPU-seconds of WebAssembly each time. These files only build apps and read
        // templates, so one process runs several of them and starts the engine once.
        // A beforeAll that builds several apps takes minutes on a loaded 2-core machine.
        test: { name: 'infra', include: [`${INFRA}**/*.test.ts`], isolate: false, hookTimeout: 180_000 },
      },
      {
        extends: true,
        // A fresh process per file costs about a second of CPU in start-up and imports (jose, zod, the
        // AWS SDK, commander), more than most of these files' tests; they leave no state behind them
        // (measured on 2 cores: test/unit 43 CPU-s isolated, 27 shared; test/cli 35 and 26).
        test: { name: 'shared', include: SHARED, isolate: false },
      },
      {
        extends: true,
        test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, `${INFRA}**`, ...SHARED] },
      },
    ],
  },
});
