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
  readonly cwd: string;
}

/**
 * `keygate serve --port 0` started as a user would, in a fresh working directory (data in
 * ./.keygate); `args` are extra flags such as `--replay-protection`.
 */
export async function startServe(env: Record<string, string> = {}, args: readonly string[] = []): Promise<Running> {
  const cwd = await mkdtemp(join(tmpdir(), 'keygate-e2e-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  return { child, url, output: () => output, dataDir: join(cwd, '.keygate'), cwd };
}

export async function stopServe(running: Running | undefined): Promise<number | null> {
  if (!running) return null;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  const code = await exited;
  await rm(running.cwd, { recursive: true, force: true });
  return code;
}

