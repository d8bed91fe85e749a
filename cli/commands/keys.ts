import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { readInputFile } from '../files.js';
import { callApi, type ClientTls, type SigV4Options } from '../http-client.js';
import { integerIn, keyName } from '../options.js';

interface ConnectionOptions {
  readonly endpoint: string;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly auth: 'auto' | 'sigv4' | 'none';
  readonly region?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function endpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw usageError(`--endpoint ${JSON.stringify(endpoint)} is not a URL; e.g. https://127.0.0.1:8443 or https://api.example.com`);
  }
  if (url.protocol !== 'https:') throw usageError('--endpoint must start with https://');
  return url;
}

async function connection(options: ConnectionOptions): Promise<{ base: URL; tls: ClientTls; sigv4: SigV4Options | undefined }> {
  const base = endpointUrl(options.endpoint);
  if (Boolean(options.cert) !== Boolean(options.key)) throw usageError('--cert and --key go together (the client certificate and its private key)');
  const tls: ClientTls = {
    certificatePem: options.cert ? await readInputFile(options.cert, '--cert') : undefined,
    keyPem: options.key ? await readInputFile(options.key, '--key') : undefined,
    caPem: options.ca ? await readInputFile(options.ca, '--ca') : undefined,
  };
  const useSigV4 = options.auth === 'sigv4' || (options.auth === 'auto' && !LOOPBACK_HOSTS.has(base.hostname));
  const region = options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  if (useSigV4 && !region) throw usageError('SigV4 signing needs a region: pass --region or set AWS_REGION');
  return { base, tls, sigv4: useSigV4 ? { region: region as string } : undefined };
}

function apiPath(base: URL, path: string, query: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

async function send(options: ConnectionOptions, method: string, path: string, extra: { body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<unknown> {
  const { base, tls, sigv4 } = await connection(options);
  const response = await callApi(apiPath(base, path, extra.query), method, { tls, sigv4, body: extra.body });
  if (response.status >= 200 && response.status < 300) return response.body;
  const body = response.body as { error?: string; message?: string } | null;
  const detail = body && typeof body === 'object' ? `${body.error ?? 'error'}: ${body.message ?? ''}` : String(response.body).slice(0, 200);
  throw new CliError(`${method} ${path} failed with ${response.status} ${detail}`);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function withConnectionOptions(command: Command): Command {
  return command
    .requiredOption('--endpoint <url>', 'the API, e.g. https://127.0.0.1:8443 (local) or https://api.example.com (deployed)')
    .option('--cert <file>', 'client certificate (PEM) for mutual TLS; locally the support certificate, .keygate/support.pem')
    .option('--key <file>', 'private key of the client certificate')
    .option('--ca <file>', 'extra CA to trust for the server certificate (locally .keygate/ca/ca.pem); system CAs are always trusted')
    .option('--auth <mode>', 'auto: SigV4 unless the endpoint is loopback; sigv4; none', (value) => {
      if (value !== 'auto' && value !== 'sigv4' && value !== 'none') throw usageError('--auth is auto, sigv4 or none');
      return value;
    }, 'auto')
    .option('--region <region>', 'AWS region for SigV4 (default AWS_REGION)');
}

const encode = encodeURIComponent;

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage named keys through the registration API (support staff)');

  withConnectionOptions(keys.command('add').description('register a public key under a name (idempotent; at most two keys per name)'))
    .argument('<name>', 'the key name', keyName)
    .requiredOption('--public-key <file>', 'the public key: PEM PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE')
    .action(async (name: string, options: ConnectionOptions & { publicKey: string }) => {
      const publicKey = await readInputFile(options.publicKey, '--public-key');
      print(await send(options, 'PUT', `/keys/${encode(name)}`, { body: { publicKey } }));
    });

  withConnectionOptions(keys.command('list').description('list names with their kids'))
    .option('--limit <n>', 'names per page, 1-100', integerIn(1, 100), 50)
    .option('--next-token <token>', 'continue from a previous page')
    .action(async (options: ConnectionOptions & { limit: number; nextToken?: string }) => {
      print(await send(options, 'GET', '/keys', { query: { limit: String(options.limit), nextToken: options.nextToken } }));
    });

  withConnectionOptions(keys.command('show').description("show a name's keys with their public PEMs"))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => print(await send(options, 'GET', `/keys/${encode(name)}`)));

  withConnectionOptions(keys.command('remove').description('remove one key of a name (the end of a rotation); the last key cannot be removed'))
    .argument('<name>', 'the key name', keyName)
    .argument('<kid>', 'the kid of the key to remove')
    .action(async (name: string, kid: string, options: ConnectionOptions) => print(await send(options, 'DELETE', `/keys/${encode(name)}/${encode(kid)}`)));

  withConnectionOptions(keys.command('revoke').description('revoke a name: its keys stop working; restorable during the recovery window'))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => print(await send(options, 'DELETE', `/keys/${encode(name)}`)));

  withConnectionOptions(keys.command('restore').description('bring a revoked name back within its recovery window'))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => print(await send(options, 'POST', `/keys/${encode(name)}/restore`)));
}
