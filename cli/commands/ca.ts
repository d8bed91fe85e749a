import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { apiConnection, shellQuote, withConnectionOptions, type ConnectionFlagValues, type ConnectionSpec } from '../api-connection.js';
import { ensureDirectory, readInputFile, refuseOverwrite, writeFileAtomic } from '../files.js';
import { integerIn, rsaBits } from '../options.js';
import { caPaths, checkCsr, createCa, loadCa, revokeInIndex, saveCa, signClientCertificate } from '../pki/ca-store.js';
import { postRevocation, revocationReason, serialNumber } from './certs.js';
import { withProgress } from '../progress.js';

interface InitOptions {
  readonly out: string;
  readonly name: string;
  readonly bits: number;
  readonly days: number;
  readonly force?: boolean;
}

interface SignOptions {
  readonly ca: string;
  readonly csr: string;
  readonly days: number;
  readonly out?: string;
  readonly force?: boolean;
}

interface RevokeOptions extends ConnectionFlagValues {
  readonly ca: string;
  readonly serial: string;
  readonly reason?: string;
}

/** `--ca` is the CA directory here, so the TLS files are the `--tls-*` options; without `--endpoint` nothing is sent. */
const REVOKE_CONNECTION: ConnectionSpec = { endpoint: 'optional', shortTlsFlags: false };

/** Outside any repository, so the CA key is never committed by accident. */
function defaultCaDirectory(): string {
  return join(homedir(), '.keygate', 'ca');
}

function commonName(value: string): string {
  if (value.trim().length === 0 || value.length > 64) throw new InvalidArgumentError('a CA name is 1-64 characters.');
  return value;
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('an internal CA that issues client certificates for mutual TLS from certificate requests (CSRs)');

  ca.command('init')
    .description('create a CA: ca.pem (the certificate for the truststore), ca.key (mode 0600) and index.json (issued certificates)')
    .option('--out <dir>', 'directory for the CA files (created if missing, mode 0700); keep it out of any repository', defaultCaDirectory())
    .option('--name <cn>', 'the CA common name', commonName, 'keygate client CA')
    .option('--bits <bits>', 'RSA key size: 2048, 3072 or 4096', rsaBits, 4096)
    .option('--days <days>', 'validity of the CA certificate', integerIn(1, 7300), 1825)
    .option('--force', 'replace an existing CA: certificates it issued stop being trusted')
    .action(init);

  ca.command('sign')
    .description('issue a client certificate (clientAuth, SHA-256) for a CSR; the subject is CN=<the CSR CN>')
    .requiredOption('--ca <dir>', 'the CA directory made by keygate ca init')
    .requiredOption('--csr <file>', 'the PEM certificate request, e.g. from: openssl req -new -newkey rsa:4096 -nodes -keyout client.key -subj "/CN=alice" -out alice.csr')
    .option('--days <days>', 'validity of the certificate', integerIn(1, 3650), 365)
    .option('--out <file>', 'write the certificate here instead of stdout')
    .option('--force', 'replace an existing --out file')
    .action(sign);

  withConnectionOptions(
    ca
      .command('revoke')
      .description("mark a certificate this CA issued as revoked in index.json and, with --endpoint, add it to the API's revocation list (the one keygate certs revoke feeds)")
      .requiredOption('--ca <dir>', 'the CA directory made by keygate ca init (only ca.pem and index.json are read; the CA key is not needed)')
      .requiredOption('--serial <hex>', 'the serial number of the certificate, as keygate ca sign printed it (hex, colons optional)', serialNumber)
      .option('--reason <text>', 'why, for the index and the audit trail', revocationReason),
    REVOKE_CONNECTION,
  )
    .addHelpText('after', '\nWithout --endpoint, prints the keygate certs revoke command that adds it to the API. Connect with --tls-cert, --tls-key and --tls-ca.')
    .action(revoke);
}

async function revoke(options: RevokeOptions): Promise<void> {
  const connection = apiConnection(options, REVOKE_CONNECTION);
  const revoked = await revokeInIndex(options.ca, options.serial, { reason: options.reason, now: new Date() });
  const { issuer, serialNumber: serial, entry } = revoked;
  process.stderr.write(
    revoked.alreadyRevoked
      ? `keygate: ${entry.subject} (serial ${serial}) was already marked revoked in ${caPaths(options.ca).index} at ${entry.revokedAt ?? '?'}\n`
      : `keygate: marked ${entry.subject} (serial ${serial}) revoked in ${caPaths(options.ca).index}\n`,
  );
  if (connection) {
    // Sent even when the index already had it, so a run that failed to reach the API can simply be repeated.
    const result = await postRevocation(connection, { issuer, serialNumber: serial, reason: options.reason });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const command = ['keygate certs revoke --issuer', shellQuote(issuer), '--serial', serial, ...(options.reason !== undefined ? ['--reason', shellQuote(options.reason)] : []), '--endpoint URL --tls-cert FILE --tls-key FILE'];
  process.stdout.write(
    [
      'The API does not know yet: API Gateway does not check revocation; the authorizer checks its own list. Add it there with:',
      `  ${command.join(' ')}`,
      '(or run this command again with --endpoint and the connection options)',
      '',
    ].join('\n'),
  );
}

async function init(options: InitOptions): Promise<void> {
  const paths = caPaths(options.out);
  await ensureDirectory(options.out);
  await refuseOverwrite([paths.certificate, paths.key, paths.index], options.force === true);
  const created = await withProgress(`creating a CA with a ${options.bits}-bit RSA key`, () => createCa({ commonName: options.name, bits: options.bits, days: options.days }));
  await saveCa(options.out, created);
  process.stdout.write(
    [
      `CA certificate: ${paths.certificate} (add it to the API's mTLS truststore)`,
      `CA key:         ${paths.key} (mode 0600; keep it offline if you can)`,
      `subject:        ${created.certificate.subject}`,
      `valid until:    ${created.certificate.notAfter.toISOString()}`,
      '',
      `next: keygate ca sign --ca ${options.out} --csr user.csr --out user.pem`,
      '',
    ].join('\n'),
  );
}

async function sign(options: SignOptions): Promise<void> {
  const now = new Date();
  if (options.out !== undefined) await refuseOverwrite([options.out], options.force === true);
  const ca = await loadCa(options.ca, now);
  const csr = await checkCsr(await readInputFile(options.csr, '--csr'), options.csr);
  const { certificatePem, entry } = await signClientCertificate(options.ca, ca, csr, { days: options.days, now });
  if (options.out === undefined) process.stdout.write(certificatePem.endsWith('\n') ? certificatePem : `${certificatePem}\n`);
  else await writeFileAtomic(options.out, certificatePem.endsWith('\n') ? certificatePem : `${certificatePem}\n`, 0o644);
  process.stderr.write(`issued ${entry.subject} (${csr.keyDescription}), serial ${entry.serialNumber}, valid until ${entry.notAfter}${options.out ? `: ${options.out}` : ''}\n`);
}
