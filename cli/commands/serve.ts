import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, MAX_KEY_AGE_DAYS_RANGE, readConfig } from '../../lambdas/core/config.js';
import { CliError, usageError } from '../errors.js';
import { integerIn } from '../options.js';
import { startLocalServer, type LocalServer } from '../serve/server.js';

interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly allowRemote?: boolean;
  readonly replayProtection?: boolean;
  readonly maxKeyAgeDays?: number;
  readonly anyRoute?: boolean;
}

// Loopback only without --allow-remote; these are also the names the dev server certificate carries.
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

// `npm start` runs in the package root; INIT_CWD is the folder the user typed it in, where they
// will paste the printed commands. Any other way of starting, the working directory is that folder.
const userCwd = (process.env['npm_lifecycle_event'] === 'start' && process.env['INIT_CWD']) || process.cwd();

function shellPath(path: string): string {
  const shown = relative(userCwd, path) || '.';
  return /^[\w./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, "'\\''")}'`;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

function instructions(server: LocalServer, host: string): string {
  const p = server.pki.paths;
  const ca = shellPath(p.caCertificate);
  const demoKeyDir = join(p.caDir, '..', 'demo-key');
  const keyDir = shellPath(demoKeyDir);
  // The dev server certificate names localhost, 127.0.0.1 and ::1: the printed commands call one.
  const url = UNSPECIFIED.has(host) ? `https://127.0.0.1:${server.port}` : server.url;
  const step1 = existsSync(join(demoKeyDir, 'private.pem'))
    ? [`  # 1. the RSA key pair for the consumer "demo" is in ${keyDir} (made on an earlier run)`]
    : ['  # 1. make an RSA key pair for the consumer "demo"', `  npx keygate keygen --out ${keyDir} --name demo`];
  return [
    '',
    `keygate local mode: ${server.url} (mutual TLS, TLS 1.2+; client certificates from the dev CA ${ca})`,
    ...(UNSPECIFIED.has(host) || LOOPBACK.has(host) ? [] : [`note: the dev server certificate names localhost, 127.0.0.1 and ::1 only, not ${host}`]),
    '',
    'Try it (copy each line):',
    ...step1,
    '  # 2. register its public key, as support staff (the support certificate stands in for IAM)',
    `  npx keygate keys add demo --public-key ${keyDir}/public.pem --endpoint ${url} --cert ${shellPath(p.supportCertificate)} --key ${shellPath(p.supportKey)} --ca ${ca}`,
    '  # 3. mint a token (RS512, sub ces:customer:demo, 5 minutes)',
    `  TOKEN=$(npx keygate token --key ${keyDir}/private.pem --name demo)`,
    '  # 4. call the API with the demo client certificate and the token',
    `  curl --cacert ${ca} --cert ${shellPath(p.demoCertificate)} --key ${shellPath(p.demoKey)} -H "Authorization: Bearer $TOKEN" ${url}/whoami`,
    '  # a 401? ask why:',
    '  npx keygate explain "$TOKEN" --public-key ' + `${keyDir}/public.pem`,
    '',
    'Access log (one JSON line per request):',
  ].join('\n');
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run keygate locally: mutual TLS gateway, authorizer, registration and a file key store')
    .option('--host <host>', 'address to listen on (loopback only unless --allow-remote)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', integerIn(0, 65535), 8443)
    .option('--data-dir <dir>', 'where the dev CA, certificates and keys.json live', '.keygate')
    .option('--allow-remote', 'allow a non-loopback --host (the dev CA is for testing only)')
    .option('--any-route', 'answer every other path and method with the echo backend behind the authorizer, as deployed with a backend URL (to try route permissions)')
    .option('--replay-protection', 'accept each token (jti) once, as KEYGATE_REPLAY_TABLE does when deployed (also on when that variable is set)')
    .option(
      '--max-key-age-days <days>',
      `refuse tokens signed with a key registered more than this many days ago, ${MAX_KEY_AGE_DAYS_RANGE.min}-${MAX_KEY_AGE_DAYS_RANGE.max} (as KEYGATE_MAX_KEY_AGE_DAYS does; overrides it)`,
      integerIn(MAX_KEY_AGE_DAYS_RANGE.min, MAX_KEY_AGE_DAYS_RANGE.max),
    )
    .action(serve);
}

async function serve(options: ServeOptions): Promise<void> {
  if (!LOOPBACK.has(options.host) && !options.allowRemote) {
    throw usageError(`--host ${options.host} is not a loopback address; add --allow-remote to listen on it`);
  }
  let config;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  if (options.maxKeyAgeDays !== undefined) config = { ...config, maxKeyAgeDays: options.maxKeyAgeDays };
  // Local mode prints access logs; EMF metric lines would only be noise here.
  process.env['POWERTOOLS_METRICS_DISABLED'] ??= 'true';
  let server: LocalServer;
  try {
    server = await startLocalServer({
      host: options.host,
      port: options.port,
      dataDir: options.dataDir,
      config,
      replayProtection: Boolean(options.replayProtection) || config.replayTable !== undefined,
      anyRoute: Boolean(options.anyRoute),
      accessLog: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${options.port} is in use; pick another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${options.host}: no such local address`);
    throw error;
  }
  process.stdout.write(`${instructions(server, options.host)}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`\nkeygate: ${signal} received, shutting down\n`);
      void server.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
