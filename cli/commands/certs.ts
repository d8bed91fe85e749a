import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { normalizeSerialNumber } from '../../lambdas/core/revocation.js';
import { printJson, requiredConnection, send, withConnectionOptions, type ApiConnection, type ConnectionFlagValues, type ConnectionSpec } from '../api-connection.js';
import { usageError } from '../errors.js';
import { readCertificateFile } from '../pki/ca-store.js';

/** `--cert` names the certificate to revoke here, so the TLS files are the `--tls-*` options. */
const REVOKE_CONNECTION: ConnectionSpec = { endpoint: 'required', shortTlsFlags: false };

export const MAX_REASON_LENGTH = 256;
const MAX_ISSUER_LENGTH = 1024;

export function serialNumber(value: string): string {
  const normalized = normalizeSerialNumber(value);
  if (!normalized) throw new InvalidArgumentError('a serial number is hex, e.g. 0a:1b:2c or 0A1B2C (at most 20 bytes).');
  return normalized;
}

export function revocationReason(value: string): string {
  if (value.trim().length === 0 || value.length > MAX_REASON_LENGTH) throw new InvalidArgumentError(`a reason is 1-${MAX_REASON_LENGTH} characters.`);
  return value;
}

function issuerName(value: string): string {
  if (!/^[A-Za-z][\w.-]*=/.test(value.trim()) || value.length > MAX_ISSUER_LENGTH) {
    throw new InvalidArgumentError('the issuer is an RFC 2253 distinguished name, e.g. "CN=keygate dev CA" (openssl x509 -noout -issuer -nameopt RFC2253).');
  }
  return value.trim();
}

interface RevokeOptions extends ConnectionFlagValues {
  readonly cert?: string;
  readonly issuer?: string;
  readonly serial?: string;
  readonly reason?: string;
}

/** POSTs one certificate to /revocations; shared with `keygate ca revoke --endpoint`. */
export async function postRevocation(connection: ApiConnection, certificate: { readonly issuer: string; readonly serialNumber: string; readonly reason?: string | undefined }): Promise<unknown> {
  const body = { issuer: certificate.issuer, serialNumber: certificate.serialNumber, ...(certificate.reason !== undefined ? { reason: certificate.reason } : {}) };
  const result = await send(connection, 'POST', '/revocations', { body });
  process.stderr.write('keygate: the authorizer denies this certificate (certificate_revoked) once its cached list expires: KEYGATE_REVOCATION_CACHE_SECONDS, 60 s by default\n');
  return result;
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('client-certificate revocation through the registration API (support staff); API Gateway does not check revocation, the authorizer does');

  withConnectionOptions(
    certs
      .command('revoke')
      .description('add a client certificate to the revocation list: give the certificate file, or its issuer and serial number')
      .option('--cert <file>', 'the client certificate to revoke (PEM); its issuer and serial are read from it')
      .option('--issuer <dn>', 'the issuer DN in RFC 2253 form, e.g. "CN=keygate dev CA" (with --serial)', issuerName)
      .option('--serial <hex>', 'the serial number in hex, e.g. 0a:1b:2c or 0A1B2C (with --issuer)', serialNumber)
      .option('--reason <text>', `why, for the audit trail (1-${MAX_REASON_LENGTH} characters)`, revocationReason),
    REVOKE_CONNECTION,
  )
    .addHelpText('after', '\n--cert is the certificate to revoke; connect with --tls-cert, --tls-key and --tls-ca.')
    .action(async (options: RevokeOptions) => {
      const connection = requiredConnection(options, REVOKE_CONNECTION);
      let target: { issuer: string; serialNumber: string };
      if (options.cert !== undefined) {
        if (options.issuer !== undefined || options.serial !== undefined) throw usageError('give --cert FILE or --issuer DN --serial HEX, not both');
        const facts = await readCertificateFile(options.cert, '--cert');
        target = { issuer: facts.issuer, serialNumber: facts.serialNumber };
      } else if (options.issuer !== undefined && options.serial !== undefined) {
        target = { issuer: options.issuer, serialNumber: options.serial };
      } else {
        throw usageError(options.issuer === undefined && options.serial === undefined ? 'give the certificate to revoke: --cert FILE, or --issuer DN --serial HEX' : '--issuer and --serial go together');
      }
      printJson(await postRevocation(connection, { ...target, reason: options.reason }));
    });

  withConnectionOptions(certs.command('list').description('list the revoked client certificates (issuer, serial, when, by whom, why)')).action(async (options: ConnectionFlagValues) => {
    printJson(await send(requiredConnection(options), 'GET', '/revocations'));
  });
}
