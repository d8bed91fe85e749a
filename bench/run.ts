/**
 * `npm run bench [-- --json] [-- --quick] [-- --instructions]`: keygate against the crypto floor and
 * its peers, in one run. Prints a table; with --json, one JSON document (schema of issue 8) as the
 * last line.
 * --quick: few, short rounds (the schema test uses it; its numbers mean nothing).
 * --only=<case>[,<case>…]: run a subset (verify, key-import, handler, cold-load).
 * --only=capacity: the capacity simulation of docs/capacity.md (only when asked for by name).
 * --instructions: also count instructions per operation under valgrind (verify-2048, verify-4096,
 *   handler-warm-4096) into each case's `instructions`; exits 2 when valgrind is missing.
 */
import { capacityCase } from './cases/capacity.js';
import { buildBundles, bundleBytesCase, coldLoadCase, removeBundles } from './cases/cold-load.js';
import { keyImportCase } from './cases/key-import.js';
import { verifyCase } from './cases/verify.js';
import { runHandlerCases } from './lib/child.js';
import { INSTRUCTION_CASES, measureInstructions, requireValgrind, ValgrindMissing, type InstructionCase, type InstructionOptions } from './lib/instructions.js';
import type { MeasureOptions } from './lib/measure.js';
import { renderInstructionTable, renderTable, type BenchReport, type CaseResult } from './lib/report.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const wanted = (group: string) => !only || only.has(group);
const instructions = args.has('--instructions');

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);
if (instructions) {
  try {
    requireValgrind();
  } catch (error) {
    if (!(error instanceof ValgrindMissing)) throw error;
    progress(error.message);
    process.exit(2);
  }
}

const measure: MeasureOptions = quick ? { rounds: 2, timeMs: 10 } : { rounds: 61, timeMs: 25 };
const coldRuns = quick ? 2 : 21;

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

if (instructions) {
  // --quick: one case, three contenders, a few iterations: enough to check the plumbing and the schema.
  // n1 = 0: one run of no iterations serves the three (4 node processes under valgrind instead of 6).
  const cases: readonly InstructionCase[] = quick
    ? [{ case: 'verify-2048', bits: 2048, contenders: ['floor', 'keygate', 'fast-jwt'] }]
    : INSTRUCTION_CASES.filter((c) => wanted(c.case.startsWith('verify-') ? 'verify' : 'handler'));
  const counting: InstructionOptions = quick ? { n1: 0, n2: 101, parallel: 2 } : { n1: 2000, n2: 3000, parallel: 2 };
  progress(`instruction counts under valgrind (${cases.map((c) => c.case).join(', ')}; ${counting.n1} and ${counting.n2} iterations per contender)`);
  const counts = await measureInstructions(cases, counting, progress);
  for (const [index, result] of results.entries()) {
    const measured = counts.get(result.case);
    if (measured) results[index] = { ...result, instructions: measured };
  }
}

const round = (value: number) => (Number.isInteger(value) ? value : Math.round(value * 100) / 100);
const report: BenchReport = {
  node: process.version,
  results: results.map((r) => ({ ...r, floor: round(r.floor), keygate: round(r.keygate), peers: Object.fromEntries(Object.entries(r.peers).map(([k, v]) => [k, round(v)])) })),
};
process.stdout.write(`${renderTable(report)}\n`);
if (instructions) process.stdout.write(`\n${renderInstructionTable(report)}\n`);
if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
