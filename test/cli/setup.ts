import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { runKeygate } from '../../cli/program.js';
import { withLock } from '../helpers/lock.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist', 'keygate.mjs');
const SOURCES = ['cli', 'lambdas', 'lib', 'scripts/build-cli.mjs'];

async function newestSourceMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestSourceMtime(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

async function isFresh(): Promise<boolean> {
  const built = await stat(CLI).catch(() => undefined);
  if (!built) return false;
  const newest = Math.max(...(await Promise.all(SOURCES.map((s) => newestSourceMtime(join(ROOT, s))))));
  return built.mtimeMs >= newest;
}

function run(command: string, args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: 'pipe' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
    child.stdin.end(options.input ?? '');
  });
}

let built: Promise<void> | undefined;

/**
 * Builds dist/keygate.mjs with the project's build script when a source is newer than the bundle.
 * Test files run in parallel processes, so a lock directory makes one build at a time and the
 * others then find the bundle fresh (rebuilding while another file runs the CLI could tear it).
 */
export function buildCli(): Promise<void> {
  built ??= withLock(join(tmpdir(), `keygate-cli-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`), async () => {
    if (await isFresh()) return;
    const result = await run(process.execPath, ['scripts/build-cli.mjs']);
    if (result.code !== 0) throw new Error(`CLI build failed: ${result.stderr}`);
  });
  return built;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built CLI as a user would: `node dist/keygate.mjs …`. For what only a real process
 * shows: the bundle starts, the exit code reaches the shell, stdin, the environment.
 */
export function keygateProcess(args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], options);
}

interface Captured {
  readonly stdout: string[];
  readonly stderr: string[];
}

// The output of each in-process run goes to its own capture, even when runs overlap (Promise.all).
const capture = new AsyncLocalStorage<Captured>();
let outputRedirected = false;

function redirectOutput(): void {
  if (outputRedirected) return;
  outputRedirected = true;
  for (const [stream, sink] of [
    [process.stdout, 'stdout'],
    [process.stderr, 'stderr'],
  ] as const) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const captured = capture.getStore();
      if (!captured) return write(chunk, ...rest);
      captured[sink].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }) as typeof stream.write;
  }
}

/**
 * Runs a keygate command line in this process (the same commander program and commands as the
 * bin, from source), capturing what it writes to stdout and stderr and returning its exit code:
 * no node start-up per call. The cases that need a real process use keygateProcess.
 */
export async function keygate(args: readonly string[]): Promise<CliResult> {
  redirectOutput();
  const captured: Captured = { stdout: [], stderr: [] };
  const code = await capture.run(captured, () => runKeygate(args));
  return { code, stdout: captured.stdout.join(''), stderr: captured.stderr.join('') };
}

/** Call at the top of a test file: returns a maker of fresh temporary directories, all removed after the file. */
export function useTempDirs(): () => Promise<string> {
  let root: string | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'keygate-cli-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  return () => {
    if (!root) throw new Error('useTempDirs() must be called at the top level of a test file');
    return mkdtemp(join(root, 'case-'));
  };
}

/** Exit code, and exactly one stderr line `keygate: …` matching `pattern`, with no stack trace. */
export function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code, stderr: expect.stringMatching(/^keygate: [^\n]+\n$/) });
  expect(result.stderr).toMatch(pattern);
}
