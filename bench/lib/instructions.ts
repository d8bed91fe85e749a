import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_BUILD } from '../cases/cold-load.js';
import { fixedRsaKey } from './fixed-key.js';
import { LAMBDA_ENV } from './lambda-env.js';

/** Instructions per operation: the floor, keygate and each peer (the shape of a case's times). */
export interface InstructionCounts {
  readonly floor: number;
  readonly keygate: number;
  readonly peers: Record<string, number>;
}

export interface InstructionCase {
  readonly case: string;
  readonly bits: number;
  /** floor, keygate, then the peers. */
  readonly contenders: readonly string[];
}

const VERIFY_CONTENDERS = ['floor', 'keygate', 'fast-jwt', 'jsonwebtoken', 'aws-jwt-verify', 'jose'];
export const INSTRUCTION_CASES: readonly InstructionCase[] = [
  { case: 'verify-2048', bits: 2048, contenders: VERIFY_CONTENDERS },
  { case: 'verify-4096', bits: 4096, contenders: VERIFY_CONTENDERS },
  { case: 'handler-warm-4096', bits: 4096, contenders: ['floor', 'keygate', 'single-write-sketch'] },
];

export interface InstructionOptions {
  /**
   * The two iteration counts; per operation = (count(n2) - count(n1)) / (n2 - n1). With n1 = 0 a
   * case's first run serves all its contenders: the child builds every contender of its case before
   * it picks one, so a run of no iterations does the same work whichever it names.
   */
  readonly n1: number;
  readonly n2: number;
  /** valgrind processes at a time. */
  readonly parallel: number;
}

/**
 * Node's own background threads (concurrent GC marking, compiler threads) are work at moments
 * that vary from run to run; on the main thread the same work is done at the same points.
 * `--interrupt-budget=8192` (default 67584) makes V8 tier up to TurboFan within the first few
 * hundred iterations: with the default, the optimising compile of the hot functions (hundreds of
 * thousands of instructions, on the main thread here) landed between the two iteration counts
 * and was counted as per-operation work.
 */
export const NODE_FLAGS = ['--single-threaded', '--interrupt-budget=8192', '--hash-seed=1', '--random-seed=1'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const I_REFS = /I\s+refs:\s+([\d,]+)/;

export class ValgrindMissing extends Error {
  override readonly name = 'ValgrindMissing';
  constructor() {
    super('valgrind is not installed: the instruction counts need it (Debian/Ubuntu: apt-get install valgrind)');
  }
}

/** Throws ValgrindMissing when `valgrind` cannot be started. */
export function requireValgrind(): void {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new ValgrindMissing();
}

/** The total instructions (`I refs`) cachegrind counted for one run of the child. */
function countInstructions(bundle: string, args: readonly string[]): Promise<number> {
  const argv = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, ...NODE_FLAGS, bundle, ...args];
  return new Promise((resolve, reject) => {
    // stdout (Powertools' log and EMF lines in the handler case) goes to /dev/null, as in the timing
    // bench's handler child: a real write(2) per line, no reader.
    const child = spawn('valgrind', argv, { env: { ...LAMBDA_ENV, HOME: process.env['HOME'], NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-64 * 1024)));
    child.on('error', reject);
    child.on('close', (code) => {
      const match = I_REFS.exec(stderr);
      if (code !== 0 || !match?.[1]) {
        reject(new Error(`valgrind node child ${args.slice(0, 3).join(' ')} exited with ${code}${match ? '' : ', no I refs line'}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve(Number(match[1].replaceAll(',', '')));
    });
  });
}

async function pool<T>(tasks: readonly (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return results;
}

/**
 * Instructions per operation for each case, each contender in its own node process under
 * `valgrind --tool=cachegrind --cache-sim=no`, run at two iteration counts: the difference cancels
 * start-up, setup and JIT warm-up. The child is an esbuild bundle (as deployed: start-up under
 * valgrind is then seconds, not a minute of TypeScript loading); the keys are the same on every run (fixed-key.ts).
 */
export async function measureInstructions(cases: readonly InstructionCase[], options: InstructionOptions, progress: (message: string) => void): Promise<Map<string, InstructionCounts>> {
  requireValgrind();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-instructions-'));
  try {
    // The event fixture is read relative to the module (`../fixtures/…` from test/helpers): the
    // bundle sits one level down, with the fixtures linked beside that level.
    mkdirSync(join(dir, 'helpers'));
    symlinkSync(join(ROOT, 'test/fixtures'), join(dir, 'fixtures'));
    const bundle = join(dir, 'helpers', 'child.mjs');
    await build({ ...LAMBDA_BUILD, entryPoints: [join(ROOT, 'bench/instructions/child.ts')], outfile: bundle });
    const keyFiles = new Map<number, string>();
    for (const bits of new Set(cases.map((c) => c.bits))) {
      const file = join(dir, `key-${bits}.pem`);
      writeFileSync(file, fixedRsaKey(bits).export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      keyFiles.set(bits, file);
    }
    const runs = cases.flatMap((c) =>
      c.contenders.flatMap((contender, index) => [options.n1, options.n2].filter((n) => n !== 0 || index === 0).map((n) => ({ c, contender, n }))),
    );
    let done = 0;
    const counts = await pool(
      runs.map(({ c, contender, n }) => async () => {
        const count = await countInstructions(bundle, [c.case, contender, String(n), keyFiles.get(c.bits) ?? '']);
        progress(`instructions ${++done}/${runs.length}: ${c.case} ${contender} ×${n}: ${count.toLocaleString('en-US')}`);
        return count;
      }),
      options.parallel,
    );
    const countOf = (c: InstructionCase, contender: string, n: number) => counts[runs.findIndex((run) => run.c === c && run.n === n && (n === 0 || run.contender === contender))] as number;
    const perOp = new Map<string, number>();
    for (const c of cases) {
      for (const contender of c.contenders) {
        perOp.set(`${c.case}/${contender}`, Math.round((countOf(c, contender, options.n2) - countOf(c, contender, options.n1)) / (options.n2 - options.n1)));
      }
    }
    return new Map(
      cases.map((c) => {
        const [floor = '', keygate = '', ...peers] = c.contenders;
        const get = (name: string) => perOp.get(`${c.case}/${name}`) ?? Number.NaN;
        return [c.case, { floor: get(floor), keygate: get(keygate), peers: Object.fromEntries(peers.map((p) => [p, get(p)])) }];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
