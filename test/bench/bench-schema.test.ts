import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

// Schema only: `--quick` numbers are meaningless and timing is never asserted in tests.
describe('npm run bench -- --json', () => {
  it('prints the issue 8 JSON document as its last line, every case present', { timeout: 240_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--json', '--quick'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.trimEnd().split('\n');
    const report = JSON.parse(lines.at(-1) ?? '') as unknown;
    expect(lines.length).toBeGreaterThan(1); // the table comes first

    expect(report).toEqual({ node: process.version, results: expect.any(Array) });
    const results = (report as { results: unknown[] }).results;
    for (const result of results) {
      expect(Object.keys(result as object).sort()).toEqual(['case', 'floor', 'keygate', 'peers', 'unit']);
      expect(result).toEqual({
        case: expect.any(String),
        unit: expect.stringMatching(/^(us|ms|bytes|calls)$/),
        floor: expect.any(Number),
        keygate: expect.any(Number),
        peers: expect.any(Object),
      });
      const { floor, keygate, peers } = result as { floor: number; keygate: number; peers: Record<string, unknown> };
      for (const value of [floor, keygate, ...Object.values(peers)]) {
        expect(typeof value).toBe('number');
        expect(Number.isFinite(value as number) && (value as number) >= 0).toBe(true);
      }
    }
    const byCase = new Map(results.map((r) => [(r as { case: string }).case, r as { unit: string; peers: Record<string, number> }]));
    expect([...byCase.keys()]).toEqual(['verify-2048', 'verify-3072', 'verify-4096', 'key-import-4096', 'handler-warm-4096', 'handler-deny-expired', 'unknown-name-flood', 'cold-load', 'bundle-bytes']);
    for (const bits of [2048, 3072, 4096]) {
      expect(byCase.get(`verify-${bits}`)?.unit).toBe('us');
      expect(Object.keys(byCase.get(`verify-${bits}`)?.peers ?? {}).sort()).toEqual(['aws-jwt-verify', 'fast-jwt', 'jose', 'jsonwebtoken']);
    }
    expect(byCase.get('cold-load')).toMatchObject({ unit: 'ms', peers: { 'bare-node': expect.any(Number) } });
    expect(byCase.get('bundle-bytes')?.unit).toBe('bytes');
    expect(byCase.get('unknown-name-flood')?.unit).toBe('calls');
  });
});

const hasValgrind = !spawnSync('valgrind', ['--version']).error;

describe('npm run bench -- --instructions --json', () => {
  // Quick mode: verify-2048 only, floor, keygate and fast-jwt, 0 and 101 iterations (4 node processes under valgrind).
  it.skipIf(!hasValgrind)('adds an instructions object shaped like the times to the cases it counted', { timeout: 600_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--json', '--quick', '--instructions', '--only=verify'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const report = JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '') as { results: { case: string; instructions?: unknown }[] };
    expect(stdout).toContain('case (instructions/op)');

    const byCase = new Map(report.results.map((r) => [r.case, r]));
    expect([...byCase.keys()]).toEqual(['verify-2048', 'verify-3072', 'verify-4096']);
    const counted = byCase.get('verify-2048')?.instructions;
    expect(counted).toEqual({ floor: expect.any(Number), keygate: expect.any(Number), peers: { 'fast-jwt': expect.any(Number) } });
    const { floor, keygate, peers } = counted as { floor: number; keygate: number; peers: Record<string, number> };
    for (const value of [floor, keygate, ...Object.values(peers)]) expect(Number.isSafeInteger(value)).toBe(true);
    expect(byCase.get('verify-3072')).not.toHaveProperty('instructions');
  });

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
