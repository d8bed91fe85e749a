/**
 * `npm run bench [-- --json] [-- --quick]`: keygate against the crypto floor and its peers, in one
 * run. Prints a table; with --json, one JSON document (schema of issue 8) as the last line.
 * --quick: few, short rounds (the schema test uses it; its numbers mean nothing).
 * --only=<case>[,<case>…]: run a subset (verify, key-import, handler, cold-load).
 * --only=capacity: the capacity simulation of docs/capacity.md (only when asked for by name).
 */
import { capacityCase } from './cases/capacity.js';
import { buildBundles, bundleBytesCase, coldLoadCase, removeBundles } from './cases/cold-load.js';
import { keyImportCase } from './cases/key-import.js';
import { verifyCase } from './cases/verify.js';
import { runHandlerCases } from './lib/child.js';
import type { MeasureOptions } from './lib/measure.js';
import { renderTable, type BenchReport, type CaseResult } from './lib/report.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const wanted = (group: string) => !only || only.has(group);

const measure: MeasureOptions = quick ? { rounds: 2, timeMs: 10 } : { rounds: 61, timeMs: 25 };
const coldRuns = quick ? 2 : 21;

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);
const results: CaseResult[] = [];

if (wanted('verify')) {
  for (const bits of [2048, 3072, 4096]) {
    progress(`verify-${bits}`);
    results.push(await verifyCase(bits, measure));
  }
}
if (wanted('key-import')) {
  progress('key-import-4096');
  results.push(await keyImportCase(measure));
}
if (wanted('handler')) {
  progress('handler-warm-4096 and unknown-name-flood (child process, output to /dev/null)');
  results.push(...(await runHandlerCases(measure)));
}
if (wanted('cold-load')) {
  progress('cold-load and bundle-bytes (esbuild bundles in a temp dir)');
  const bundles = await buildBundles();
  try {
    results.push(coldLoadCase(bundles, coldRuns));
    results.push(bundleBytesCase(bundles));
  } finally {
    removeBundles(bundles);
  }
}
if (only?.has('capacity')) {
  progress('capacity (simulated containers on a fake clock; markdown tables on stderr)');
  results.push(await capacityCase());
}

const round = (value: number) => (Number.isInteger(value) ? value : Math.round(value * 100) / 100);
const report: BenchReport = {
  node: process.version,
  results: results.map((r) => ({ ...r, floor: round(r.floor), keygate: round(r.keygate), peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, round(v)])) })),
};
process.stdout.write(`${renderTable(report)}\n`);
if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
