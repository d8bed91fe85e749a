import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

// Every temporary file of a test run, ours and those of the libraries and child processes we start
// (CDK writes a cdk.out directory to the system temp directory for each App synthesized without an
// outdir: about 200 a run), goes under the run's scratch directory, which the global setup removes.
const runTmpdir = join(inject('runScratch'), 'tmp');
mkdirSync(runTmpdir, { recursive: true });
process.env['TMPDIR'] = runTmpdir;
