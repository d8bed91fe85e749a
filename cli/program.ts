import { Command, CommanderError } from 'commander';
import { registerCa } from './commands/ca.js';
import { registerCerts } from './commands/certs.js';
import { registerExplain } from './commands/explain.js';
import { registerKeygen } from './commands/keygen.js';
import { registerKeys } from './commands/keys.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { registerTruststore } from './commands/truststore.js';
import { CliError, EXIT_FAILED, EXIT_USAGE, ExitStatus, oneLine } from './errors.js';

/** A kid is base64url, so about one in 64 starts with '-' and reads as an option. */
function kidHint(message: string): string {
  return /unknown option '-[A-Za-z0-9_-]{42}'/.test(message) ? " (a kid that starts with '-' goes after '--': keygate keys remove NAME [options] -- KID)" : '';
}

/** A new program each time: commander keeps the parsed options on the command objects. */
export function createProgram(): Command {
  const program = new Command('keygate')
    .description('keygate: mutual TLS + RS512 bearer tokens, with named keys')
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`keygate: ${oneLine(message.replace(/^error: /, ''))}${kidHint(message)}\n`) })
    .showSuggestionAfterError(true);
  registerServe(program);
  registerKeys(program);
  registerKeygen(program);
  registerToken(program);
  registerExplain(program);
  registerCa(program);
  registerCerts(program);
  registerTruststore(program);
  return program;
}

/** Commander has already printed its own usage errors; everything else gets one line, never a stack trace. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof ExitStatus) return error.exitCode;
  if (error instanceof CliError) {
    process.stderr.write(`keygate: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`keygate: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
  return EXIT_FAILED;
}

/** Runs one keygate command line (the arguments after `keygate`) and returns its exit code. */
export async function runKeygate(args: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}
