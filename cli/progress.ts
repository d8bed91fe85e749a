import { performance } from 'node:perf_hooks';

const FRAMES = ['|', '/', '-', '\\'];

/**
 * Runs `work` while showing progress on stderr (a spinner on a terminal, one line otherwise), so
 * stdout stays clean for output that scripts read.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  const started = performance.now();
  let frame = 0;
  const timer = stream.isTTY ? setInterval(() => stream.write(`\r${FRAMES[frame++ % FRAMES.length] ?? ''} ${label}…`), 100) : undefined;
  if (!timer) stream.write(`${label}… `);
  const finish = (outcome: string) => {
    clearInterval(timer);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    stream.write(`${timer ? `\r${label}… ` : ''}${outcome} (${seconds} s)${timer ? '\x1b[K' : ''}\n`);
  };
  try {
    const result = await work();
    finish('done');
    return result;
  } catch (error) {
    finish('failed');
    throw error;
  }
}
