import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ensureDevPki } from '../../cli/serve/dev-pki.js';
import { CLI } from '../cli/setup.js';
import { withLock } from './lock.js';

export interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly dataDir: string;
  /** The working directory of `keygate serve`: the folder its printed commands are relative to. */
  readonly cwd: string;
  /** A temporary directory removed by stopServe: the working directory unless `cwd` was given. */
  readonly scratch: string;
}

export interface ServeOptions {
  /** Run there instead of in the fresh directory, with the data in that fresh directory. */
  readonly cwd?: string;
  /**
   * Start from a copy of a dev PKI that `keygate serve`'s own code made once for the test run,
   * instead of making one (an RSA 4096 CA and three certificates: about 4 CPU-seconds). For files
   * that test what runs on the PKI, not its first-run creation (the quick-start test does that).
   */
  readonly sharedPki?: boolean;
}

let sharedPki: Promise<string> | undefined;

/** The run's dev PKI, made on first use by one test process (the others wait for it). */
function sharedDevPki(): Promise<string> {
  sharedPki ??= (async () => {
    const dir = join(inject('runScratch'), 'dev-pki');
    await withLock(`${dir}.lock`, async () => {
      if (await stat(dir).catch(() => undefined)) return;
      const making = await mkdtemp(`${dir}-`);
      await ensureDevPki(making);
      // Another process may have taken over a lock it judged stale, and finished first: keep its PKI.
      await rename(making, dir).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
        await rm(making, { recursive: true, force: true });
      });
    });
    return dir;
  })();
  return sharedPki;
}

/**
 * `keygate serve --port 0` started as a user would, in a fresh working directory (data in
 * ./.keygate); `args` are extra flags such as `--replay-protection`.
 */
export async function startServe(env: Record<string, string> = {}, args: readonly string[] = [], options: ServeOptions = {}): Promise<Running> {
  const scratch = await mkdtemp(join(tmpdir(), 'keygate-e2e-'));
  const cwd = options.cwd ?? scratch;
  const dataDir = join(scratch, '.keygate');
  if (options.sharedPki) await cp(await sharedDevPki(), dataDir, { recursive: true });
  const dataArgs = options.cwd === undefined ? [] : ['--data-dir', dataDir];
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...dataArgs, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 60_000);
    const check = () => {
      const match = /keygate local mode: (https:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output, dataDir, cwd, scratch };
}

export async function stopServe(running: Running | undefined): Promise<number | null> {
  if (!running) return null;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  const code = await exited;
  await rm(running.scratch, { recursive: true, force: true });
  return code;
}

