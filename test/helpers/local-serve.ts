import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../cli/setup.js';

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

/**
 * `keygate serve --port 0` started as a user would, in a fresh working directory (data in
 * ./.keygate); `args` are extra flags such as `--replay-protection`. With `options.cwd` it runs
 * there instead, with its data in a fresh temporary directory.
 */
export async function startServe(env: Record<string, string> = {}, args: readonly string[] = [], options: { readonly cwd?: string } = {}): Promise<Running> {
  const scratch = await mkdtemp(join(tmpdir(), 'keygate-e2e-'));
  const cwd = options.cwd ?? scratch;
  const dataDir = join(scratch, '.keygate');
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

