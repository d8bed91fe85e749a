import type { Command } from 'commander';
import { checkTruststore, type TruststoreReport } from '../../lib/truststore/check-truststore.js';
import { EXIT_FAILED, ExitStatus } from '../errors.js';
import { readInputFile } from '../files.js';
import { isoDate } from '../options.js';

interface CheckOptions {
  readonly now?: Date;
  readonly json?: boolean;
}

export function registerTruststore(program: Command): void {
  const truststore = program.command('truststore').description('tools for the PEM truststore API Gateway uses for mutual TLS');
  truststore
    .command('check')
    .description('check a truststore with the same rules as the deployment (synth-time) validation; exit 1 when it has errors')
    .argument('<file>', 'the PEM truststore: the CA certificates that issue client certificates')
    .option('--now <iso>', 'check validity at this time instead of now', isoDate)
    .option('--json', 'print the report as JSON')
    .action(check);
}

async function check(file: string, options: CheckOptions): Promise<void> {
  const report = checkTruststore(await readInputFile(file, 'truststore'), options.now ? { now: options.now } : {});
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : toText(file, report));
  if (report.errors.length > 0) throw new ExitStatus(EXIT_FAILED);
}

function toText(file: string, report: TruststoreReport): string {
  const header = ['#', 'subject', 'key', 'signature', 'CA', 'depth', 'not after'];
  const rows = report.certificates.map((c) => [
    String(c.index),
    c.subject,
    `${c.keyType.toUpperCase()} ${c.keyBits ?? '?'}`,
    c.signatureHash ?? 'unknown',
    c.isCa ? 'yes' : 'no',
    String(c.depth),
    c.notAfter.toISOString(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = [`${file}: ${report.certificates.length} certificate${report.certificates.length === 1 ? '' : 's'}, ${report.sizeBytes} bytes`];
  if (rows.length > 0) lines.push(line(header), ...rows.map(line));
  for (const error of report.errors) lines.push(`error:   ${error}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push(report.errors.length > 0 ? `FAILED: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}` : 'OK');
  return `${lines.join('\n')}\n`;
}
