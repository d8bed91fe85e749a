import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
const hasValgrind = !spawnSync('valgrind', ['--version']).error;

interface CaseResult {
  case: string;
  unit: string;
  floor: number;
  keygate: number;
  peers: Record<string, number>;
  instructions?: unknown;
}

// Schema only: `--quick` numbers are meaningless and timing is never asserted in tests.
// One harness run checks both documents: node's start-up, tsx and the timed cases are paid once
// (two runs cost about 10 CPU-seconds more on 2 cores).
describe(hasValgrind ? 'npm run bench -- --json --instructions' : 'npm run bench -- --json (valgrind missing: no instruction counts)', () => {
  it('prints the issue 8 JSON document as its last line, every case present, with instruction counts where it counted them', { timeout: 600_000 }, async () => {
    const args = ['--import', 'tsx', 'bench/run.ts', '--json', '--quick', ...(hasValgrind ? ['--instructions'] : [])];
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines.at(-1) ?? '') as unknown;
    expect(lines.length).toBeGreaterThan(1); // the table comes first

    expect(report).toEqual({ node: process.version, results: expect.any(Array) });
    const results = (report as { results: CaseResult[] }).results;
    for (const result of results) {
      const { instructions, ...timed } = result;
      expect(Object.keys(timed).sort()).toEqual(['case', 'floor', 'keygate', 'peers', 'unit']);
      expect(timed).toEqual({
        case: expect.any(String),
        unit: expect.stringMatching(/^(us|ms|bytes|calls)$/),
        floor: expect.any(Number),
        keygate: expect.any(Number),
        peers: expect.any(Object),
      });
      for (const value of [timed.floor, timed.keygate, ...Object.values(timed.peers)]) {
        expect(typeof value).toBe('number');
        expect(Number.isFinite(value) && value >= 0).toBe(true);
      }
      if (result.case !== 'verify-2048' || !hasValgrind) expect(instructions).toBeUndefined();
    }
    const byCase = new Map(results.map((r) => [r.case, r]));
    expect([...byCase.keys()]).toEqual(['verify-2048', 'verify-3072', 'verify-4096', 'key-import-4096', 'handler-warm-4096', 'handler-deny-expired', 'unknown-name-flood', 'cold-load', 'bundle-bytes']);
    for (const bits of [2048, 3072, 4096]) {
      expect(byCase.get(`verify-${bits}`)?.unit).toBe('us');
      expect(Object.keys(byCase.get(`verify-${bits}`)?.peers ?? {}).sort()).toEqual(['aws-jwt-verify', 'fast-jwt', 'jose', 'jsonwebtoken']);
    }
    expect(byCase.get('cold-load')).toMatchObject({ unit: 'ms', peers: { 'bare-node': expect.any(Number) } });
    expect(byCase.get('bundle-bytes')?.unit).toBe('bytes');
    expect(byCase.get('unknown-name-flood')?.unit).toBe('calls');

    if (!hasValgrind) return;
    // Quick mode counts verify-2048 only: floor, keygate and fast-jwt, 0 and 101 iterations (4 node processes under valgrind).
    expect(stdout).toContain('case (instructions/op)');
    const counted = byCase.get('verify-2048')?.instructions;
    expect(counted).toEqual({ floor: expect.any(Number), keygate: expect.any(Number), peers: { 'fast-jwt': expect.any(Number) } });
    const { floor, keygate, peers } = counted as { floor: number; keygate: number; peers: Record<string, number> };
    for (const value of [floor, keygate, ...Object.values(peers)]) expect(Number.isSafeInteger(value) && value > 0).toBe(true);
  });
});

describe('npm run bench -- --instructions without valgrind', () => {
  it('says how to install valgrind when it is missing, and fails', { timeout: 60_000 }, async () => {
    const outcome = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--json', '--quick', '--instructions', '--only=verify'], { cwd: ROOT, env: { ...process.env, PATH: '/nonexistent' } }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('valgrind is not installed');
    expect(outcome.stderr).toContain('apt-get install valgrind');
    expect(outcome.stdout).toBe(''); // nothing measured, no JSON
  });
});
