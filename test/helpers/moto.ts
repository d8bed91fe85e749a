import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/** A real moto_server on a free 127.0.0.1 port, started and stopped by the tests. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Stops the process to simulate an outage; `start` brings it back on the same port (state is lost). */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok || response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('moto_server did not start within 20 s');
}

// moto's own app served one request at a time: see the script for why not `moto_server`.
const singleThreadedMoto = fileURLToPath(new URL('./moto-server.py', import.meta.url));

function launch(port: number): ChildProcess {
  return spawn('python3', [singleThreadedMoto, '127.0.0.1', String(port)], { stdio: 'ignore' });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Dummy credentials and region, so no SDK call can ever reach a real account. */
export function useDummyAwsCredentials(endpoint: string): void {
  process.env['AWS_ACCESS_KEY_ID'] = 'testing';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'testing';
  process.env['AWS_SESSION_TOKEN'] = 'testing';
  process.env['AWS_REGION'] = 'us-east-1';
  process.env['AWS_ENDPOINT_URL'] = endpoint;
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let child = launch(port);
  await waitUntilUp(endpoint, child);
  return {
    endpoint,
    port,
    stop: () => kill(child),
    async restart() {
      await kill(child);
      child = launch(port);
      await waitUntilUp(endpoint, child);
    },
  };
}

/**
 * For a test file: moto started before its tests, with dummy credentials pointing at it, and
 * stopped after them. Returns the running server (for an outage: `moto().restart()`).
 */
export function useMotoServer(): () => MotoServer {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    useDummyAwsCredentials(moto.endpoint);
  });
  afterAll(async () => moto?.stop());
  return () => {
    if (!moto) throw new Error('moto has not started: call useMotoServer() at the top of the test file');
    return moto;
  };
}
