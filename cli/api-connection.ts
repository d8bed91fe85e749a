import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { CliError, usageError } from './errors.js';
import { readInputFile } from './files.js';
import { callApi, type ClientTls, type SigV4Options } from './http-client.js';

/**
 * The options every command that calls the registration API shares (`keygate keys`, `keygate certs`,
 * `keygate ca revoke --endpoint`), and the one function that sends a request with them.
 *
 * The TLS files are `--tls-cert`, `--tls-key` and `--tls-ca` everywhere. Commands whose own options
 * do not use the names `--cert`, `--key` or `--ca` also accept those short spellings (`keygate keys`
 * always has); `keygate certs revoke --cert FILE` and `keygate ca revoke --ca DIR` use them for
 * the certificate to revoke and the CA directory, so there only the `--tls-*` spellings connect.
 */
export interface ConnectionSpec {
  /** `optional`: without `--endpoint` the command works offline (apiConnection returns undefined). */
  readonly endpoint: 'required' | 'optional';
  /** Whether `--cert`, `--key` and `--ca` are accepted as the TLS files too. */
  readonly shortTlsFlags: boolean;
}

export const STANDARD_CONNECTION: ConnectionSpec = { endpoint: 'required', shortTlsFlags: true };

/** What commander parses from the connection options; read it with apiConnection. */
export interface ConnectionFlagValues {
  readonly endpoint?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly auth: 'auto' | 'sigv4' | 'none';
  readonly region?: string;
}

/** A resolved connection: where to send, with which TLS files and signing. */
export interface ApiConnection {
  readonly endpoint: string;
  readonly certificateFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly caFile: string | undefined;
  readonly auth: 'auto' | 'sigv4' | 'none';
  readonly region: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function withConnectionOptions(command: Command, spec: ConnectionSpec = STANDARD_CONNECTION): Command {
  const endpointHelp = 'the API, e.g. https://127.0.0.1:8443 (local) or https://api.example.com (deployed)';
  if (spec.endpoint === 'required') command.requiredOption('--endpoint <url>', endpointHelp);
  else command.option('--endpoint <url>', `${endpointHelp}; without it nothing is sent`);
  const certHelp = 'client certificate (PEM) for mutual TLS; locally the support certificate, .keygate/support.pem';
  const keyHelp = 'private key of the client certificate';
  const caHelp = 'extra CA to trust for the server certificate (locally .keygate/ca/ca.pem); system CAs are always trusted';
  if (spec.shortTlsFlags) {
    command.option('--cert <file>', certHelp).option('--key <file>', keyHelp).option('--ca <file>', caHelp);
    command.option('--tls-cert <file>', 'same as --cert').option('--tls-key <file>', 'same as --key').option('--tls-ca <file>', 'same as --ca');
  } else {
    command.option('--tls-cert <file>', certHelp).option('--tls-key <file>', keyHelp).option('--tls-ca <file>', caHelp);
  }
  return command
    .option('--auth <mode>', 'auto: SigV4 unless the endpoint is loopback; sigv4; none', (value) => {
      if (value !== 'auto' && value !== 'sigv4' && value !== 'none') throw usageError('--auth is auto, sigv4 or none');
      return value;
    }, 'auto')
    .option('--region <region>', 'AWS region for SigV4 (default AWS_REGION)');
}

function either(long: string | undefined, short: string | undefined, name: string): string | undefined {
  if (long !== undefined && short !== undefined) throw usageError(`give --tls-${name} or --${name}, not both`);
  return long ?? short;
}

/** The connection the flags describe, or undefined when `--endpoint` is optional and absent. */
export function apiConnection(values: ConnectionFlagValues, spec: ConnectionSpec = STANDARD_CONNECTION): ApiConnection | undefined {
  const tlsFlagsGiven = [values.tlsCert, values.tlsKey, values.tlsCa].some((v) => v !== undefined);
  if (values.endpoint === undefined) {
    if (spec.endpoint === 'required') throw usageError("required option '--endpoint <url>' not specified");
    if (tlsFlagsGiven || values.region !== undefined) throw usageError('--tls-cert, --tls-key, --tls-ca and --region are used with --endpoint; add --endpoint or drop them');
    return undefined;
  }
  const short: Partial<ConnectionFlagValues> = spec.shortTlsFlags ? values : {};
  return {
    endpoint: values.endpoint,
    certificateFile: either(values.tlsCert, short.cert, 'cert'),
    keyFile: either(values.tlsKey, short.key, 'key'),
    caFile: either(values.tlsCa, short.ca, 'ca'),
    auth: values.auth,
    region: values.region,
  };
}

/** The connection of a command whose `--endpoint` is required. */
export function requiredConnection(values: ConnectionFlagValues, spec: ConnectionSpec = STANDARD_CONNECTION): ApiConnection {
  const connection = apiConnection(values, spec);
  if (!connection) throw usageError("required option '--endpoint <url>' not specified");
  return connection;
}

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

async function connect(connection: ApiConnection): Promise<{ base: URL; tls: ClientTls; sigv4: SigV4Options | undefined }> {
  const base = endpointUrl(connection.endpoint);
  if (Boolean(connection.certificateFile) !== Boolean(connection.keyFile)) throw usageError('the client certificate and its private key go together (--cert with --key, or --tls-cert with --tls-key)');
  const tls: ClientTls = {
    certificatePem: connection.certificateFile ? await readInputFile(connection.certificateFile, 'client certificate') : undefined,
    keyPem: connection.keyFile ? await readInputFile(connection.keyFile, 'client key') : undefined,
    caPem: connection.caFile ? await readInputFile(connection.caFile, 'server CA') : undefined,
  };
  if (tls.certificatePem && tls.keyPem) checkClientPair(tls.certificatePem, tls.keyPem, connection);
  const useSigV4 = connection.auth === 'sigv4' || (connection.auth === 'auto' && !LOOPBACK_HOSTS.has(base.hostname));
  const region = connection.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  if (useSigV4 && !region) throw usageError('SigV4 signing needs a region: pass --region or set AWS_REGION');
  return { base, tls, sigv4: useSigV4 ? { region: region as string } : undefined };
}

/** The client certificate and key, checked before any connection so a mix-up is named plainly. */
function checkClientPair(certificatePem: string, keyPem: string, connection: ApiConnection): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new CliError(`the client certificate ${connection.certificateFile} is not a PEM certificate (were the certificate and key files swapped?)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CliError(`the client key ${connection.keyFile} is not an unencrypted PEM private key (were the certificate and key files swapped?)`);
  }
  if (!certificate.checkPrivateKey(key)) throw new CliError(`the client key ${connection.keyFile} is not the private key of the certificate ${connection.certificateFile}`);
}

function apiPath(base: URL, path: string, query: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** One request to the registration API; a non-2xx answer becomes a one-line CliError naming the status and error code. */
export async function send(connection: ApiConnection, method: string, path: string, extra: { body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<unknown> {
  const { base, tls, sigv4 } = await connect(connection);
  const response = await callApi(apiPath(base, path, extra.query), method, { tls, sigv4, body: extra.body });
  if (response.status >= 200 && response.status < 300) return response.body;
  const body = response.body as { error?: string; message?: string } | null;
  const detail = body && typeof body === 'object' ? `${body.error ?? 'error'}: ${body.message ?? ''}` : String(response.body).slice(0, 200);
  throw new CliError(`${method} ${path} failed with ${response.status} ${detail}`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** POSIX shell quoting, for commands keygate prints for the user to run. */
export function shellQuote(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
