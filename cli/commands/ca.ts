import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ensureDirectory, readInputFile, refuseOverwrite, writeFileAtomic } from '../files.js';
import { integerIn, rsaBits } from '../options.js';
import { caPaths, checkCsr, createCa, loadCa, saveCa, signClientCertificate } from '../pki/ca-store.js';
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

function commonName(value: string): string {
  if (value.trim().length === 0 || value.length > 64) throw new InvalidArgumentError('a CA name is 1-64 characters.');
  return value;
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('an internal CA that issues client certificates for mutual TLS from certificate requests (CSRs)');

  ca.command('init')
    .description('create a CA: ca.pem (the certificate for the truststore), ca.key (mode 0600) and index.json (issued certificates)')
    .requiredOption('--out <dir>', 'directory for the CA files (created if missing, mode 0700)')
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
