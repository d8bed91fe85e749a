import { runKeygate } from './program.js';

// A reader that stops early (`keygate explain … | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runKeygate(process.argv.slice(2));
