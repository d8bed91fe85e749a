import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { CliError } from './errors.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface ClientTls {
  /** Client certificate and key (PEM) for mutual TLS. */
  readonly certificatePem?: string | undefined;
  readonly keyPem?: string | undefined;
  /** An extra trust anchor for the server certificate (the local dev CA); the system CAs stay trusted. */
  readonly caPem?: string | undefined;
}

export interface SigV4Options {
  readonly region: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

async function signRequest(url: URL, method: string, headers: Record<string, string>, body: string | undefined, options: SigV4Options): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials: fromNodeProviderChain(), sha256: Sha256 });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    ...(body !== undefined ? { body } : {}),
  });
  return signed.headers as Record<string, string>;
}

/**
 * One JSON request over HTTPS. The server certificate is always verified (chain, validity, host
 * name) against the system CAs plus `tls.caPem`; verification is never turned off.
 */
export async function callApi(url: URL, method: string, options: { readonly body?: unknown; readonly tls: ClientTls; readonly sigv4?: SigV4Options | undefined }): Promise<ApiResponse> {
  if (url.protocol !== 'https:') throw new CliError(`--endpoint must be an https:// URL (got ${url.protocol})`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  let headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  if (options.sigv4) {
    try {
      headers = await signRequest(url, method, headers, body, options.sigv4);
    } catch (error) {
      throw new CliError(`cannot sign the request with AWS credentials: ${(error as Error).message}`);
    }
  }
  return new Promise<ApiResponse>((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method,
        headers,
        cert: options.tls.certificatePem,
        key: options.tls.keyPem,
        ca: options.tls.caPem ? [...rootCertificates, options.tls.caPem] : undefined,
        minVersion: 'TLSv1.2',
        timeout: 15_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.destroy();
            reject(new CliError('the response is larger than 1 MiB'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out after 15 s')));
    request.on('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot reach ${url.origin}: ${describeTlsError(error)}`)));
    request.end(body);
  });
}

function describeTlsError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `the server certificate is not trusted (${error.code}); pass the CA that issued it with --ca`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the server certificate does not match the host name in --endpoint';
    case 'CERT_HAS_EXPIRED':
      return 'the server certificate has expired';
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
      return 'the server requires a client certificate: pass --cert and --key';
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
      return 'the server refused the client certificate (--cert): it is not issued by a CA the server trusts';
    case 'ECONNRESET':
    case 'EPROTO':
      return `the TLS handshake failed (${error.code}); does the server require a client certificate (--cert, --key) from a CA it trusts?`;
    case 'ECONNREFUSED':
      return 'connection refused; is the server running?';
    default:
      return error.message;
  }
}
