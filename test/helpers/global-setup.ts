import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory for the run's shared test fixtures (see sharedDevPki) and its TMPDIR (see run-tmpdir.ts), removed after the run. */
    runScratch: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratch = await mkdtemp(join(tmpdir(), 'keygate-test-run-'));
  project.provide('runScratch', scratch);
  return () => rm(scratch, { recursive: true, force: true });
}
