import { fork } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MeasureOptions } from './measure.js';
import type { CaseResult } from './report.js';

/** Runs bench/handler-child.ts with stdout and stderr on /dev/null; its results come over IPC. */
export function runHandlerCases(options: MeasureOptions): Promise<CaseResult[]> {
  const devNull = openSync('/dev/null', 'w');
  const child = fork(fileURLToPath(new URL('../handler-child.ts', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', devNull, devNull, 'ipc'],
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      NODE_ENV: 'production',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'keygate-authorizer',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      POWERTOOLS_SERVICE_NAME: 'keygate',
      POWERTOOLS_METRICS_NAMESPACE: 'keygate',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  });
  closeSync(devNull);
  return new Promise((resolve, reject) => {
    let results: CaseResult[] | undefined;
    child.on('message', (message) => (results = message as CaseResult[]));
    child.on('error', reject);
    child.on('exit', (code) => (results && code === 0 ? resolve(results) : reject(new Error(`bench/handler-child.ts exited with ${code} (its output went to /dev/null; run it directly to see why)`))));
  });
}
