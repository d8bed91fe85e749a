import { fork } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MeasureOptions } from './measure.js';
import type { CaseResult } from './report.js';
import { LAMBDA_ENV } from './lambda-env.js';

/** Runs bench/handler-child.ts with stdout and stderr on /dev/null; its results come over IPC. */
export function runHandlerCases(options: MeasureOptions): Promise<CaseResult[]> {
  const devNull = openSync('/dev/null', 'w');
  const child = fork(fileURLToPath(new URL('../handler-child.ts', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', devNull, devNull, 'ipc'],
    env: { ...LAMBDA_ENV, HOME: process.env['HOME'], NODE_ENV: 'production' },
  });
  closeSync(devNull);
  return new Promise((resolve, reject) => {
    let results: CaseResult[] | undefined;
    child.on('message', (message) => (results = message as CaseResult[]));
    child.on('error', reject);
    child.on('exit', (code) => (results && code === 0 ? resolve(results) : reject(new Error(`bench/handler-child.ts exited with ${code} (its output went to /dev/null; run it directly to see why)`))));
  });
}
