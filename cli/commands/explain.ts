import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from '../../lambdas/core/certificate-binding.js';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import { EXIT_FAILED, ExitStatus, usageError } from '../errors.js';
import { explainToken, SERVER_SIDE_CHECKS, show, type CertificateExplanation, type Explanation, type RuleStatus } from '../explain/explain-token.js';
import { certificatePin, collect } from '../access-options.js';
import { readInputFile } from '../files.js';
import { loadVerificationKey } from '../key-files.js';
import { integerIn, isoDate } from '../options.js';
import { readCertificateFile } from '../pki/ca-store.js';
import { formatDuration, isoFromSeconds } from '../time.js';

interface ExplainOptions {
  readonly publicKey?: string;
  readonly now?: Date;
  readonly clockSkew: number;
  readonly maxLifetime: number;
  readonly json?: boolean;
  readonly cert?: string;
  readonly binding?: BindingPolicy;
  readonly pin?: string[];
}

function bindingPolicy(value: string): BindingPolicy {
  if (!isBindingPolicy(value)) throw new InvalidArgumentError(`expected ${BINDING_POLICIES.join(', ')}.`);
  return value;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('show what keygate makes of a token: header, claims, every contract rule, and whether it would be denied (exit 1) or pass (exit 0)')
    .argument('<token>', 'the token, optionally with a leading "Bearer ", or - to read it from stdin')
    .option('--public-key <file>', "check the signature as if this were the name's only active key: a public key, certificate or private key (PEM)")
    .option('--now <iso>', 'evaluate at this time instead of the current time', isoDate)
    .option('--clock-skew <seconds>', 'allowed clock difference, as KEYGATE_CLOCK_SKEW_SECONDS', integerIn(0, 300), DEFAULT_TOKEN_RULES.clockSkewSeconds)
    .option('--max-lifetime <seconds>', 'longest exp - iat, as KEYGATE_MAX_TOKEN_LIFETIME_SECONDS', integerIn(60, 1800), DEFAULT_TOKEN_RULES.maxLifetimeSeconds)
    .option('--cert <file>', 'the client certificate the token is sent with (PEM): checks the cnf x5t#S256 thumbprint and the CN against it')
    .option('--binding <policy>', "the name's binding policy (none, subject or thumbprint; keygate keys show NAME tells it): with --cert, the binding decides the result as in the authorizer", bindingPolicy)
    .option('--pin <pin>', "a SHA-256 SPKI pin of the name (repeat for each; keygate keys show NAME lists them): with --cert, the certificate must match one, as in the authorizer", collect(certificatePin))
    .option('--json', 'print the explanation as JSON')
    .addHelpText(
      'after',
      [
        '',
        'The token is never trusted: nothing in it is used to find a key.',
        'A token given as an argument stays in your shell history; prefer: pbpaste | keygate explain -',
        'Not checked here, as they depend on the server: certificate_revoked (the revocation list), replayed_token (replay protection),',
        'key_expired (KEYGATE_MAX_KEY_AGE_DAYS: a key registered longer ago answers invalid_signature),',
        "client_certificate_mismatch unless you give --cert and the name's --binding or --pin values, and insufficient_scope (the name's route permissions).",
      ].join('\n'),
    )
    .action(explain);
}

async function readToken(argument: string): Promise<string> {
  const raw = argument === '-' ? await text(process.stdin) : argument;
  const token = raw.trim().replace(/^bearer[ \t]+/i, '');
  if (token.length === 0) throw usageError(argument === '-' ? 'no token on stdin' : 'the token is empty');
  return token;
}

async function explain(argument: string, options: ExplainOptions): Promise<void> {
  const token = await readToken(argument);
  const now = options.now ?? new Date();
  if (options.binding !== undefined && options.binding !== 'none' && options.cert === undefined) {
    throw usageError(`--binding ${options.binding} needs the client certificate: add --cert FILE`);
  }
  if (options.pin !== undefined && options.cert === undefined) throw usageError('--pin needs the client certificate: add --cert FILE');
  const key = options.publicKey === undefined ? undefined : await loadVerificationKey(await readInputFile(options.publicKey, '--public-key'), options.publicKey, now);
  const certificate = options.cert === undefined ? undefined : await readCertificateFile(options.cert, '--cert');
  const explanation = explainToken(token, {
    nowSeconds: now.getTime() / 1000,
    tokenRules: { clockSkewSeconds: options.clockSkew, maxLifetimeSeconds: options.maxLifetime },
    ...(key ? { key } : {}),
    ...(certificate ? { certificate } : {}),
    ...(options.binding !== undefined ? { binding: options.binding } : {}),
    ...(options.pin !== undefined ? { certificatePins: options.pin } : {}),
  });
  process.stdout.write(options.json ? `${JSON.stringify(toJson(explanation), null, 2)}\n` : toText(explanation));
  if (explanation.verdict.decision === 'deny') throw new ExitStatus(EXIT_FAILED);
}

function toJson(explanation: Explanation): unknown {
  const { verdict } = explanation;
  return {
    evaluatedAt: isoFromSeconds(explanation.nowSeconds),
    tokenRules: explanation.tokenRules,
    header: explanation.header ?? null,
    claims: explanation.claims ?? null,
    times: explanation.times,
    rules: explanation.rules,
    ...(explanation.certificate ? { certificate: { ...explanation.certificate, binding: explanation.certificate.binding ?? null, note: bindingNote(explanation.certificate) } } : {}),
    notChecked: SERVER_SIDE_CHECKS.filter((c) => c.reason !== 'client_certificate_mismatch' || explanation.certificate?.binding === undefined),
    result: verdict.decision === 'deny' ? verdict : verdict.decision === 'allow' ? { decision: 'allow', kid: verdict.kid } : { decision: 'unverified', detail: 'the signature was not checked: no key given' },
  };
}

const STATUS_LABEL: Readonly<Record<RuleStatus, string>> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };
const KEY_HINTS = new Set(['jwk', 'jku', 'x5u', 'x5c']);
const KNOWN_CLAIMS = new Set(['sub', 'iat', 'exp', 'nbf', 'jti']);

function toText(explanation: Explanation): string {
  const lines: string[] = [];
  const { header, claims, times } = explanation;
  if (header) {
    lines.push('header');
    for (const [name, value] of Object.entries(header)) {
      const note = KEY_HINTS.has(name) ? '  (ignored: keys are found by sub and kid only)' : name === 'alg' || name === 'kid' || name === 'crit' ? '' : '  (ignored)';
      lines.push(`  ${name.padEnd(8)} ${show(value)}${note}`);
    }
  }
  if (claims) {
    lines.push('claims');
    for (const [name, value] of Object.entries(claims)) {
      const time = times[name as keyof typeof times];
      const note = time ? `  ${time.iso ?? 'out of range'} (${time.relative})${time.milliseconds ? ' (milliseconds? keygate wants seconds)' : ''}` : KNOWN_CLAIMS.has(name) ? '' : name === 'cnf' ? '  (checked only for names with binding thumbprint)' : '  (ignored)';
      lines.push(`  ${name.padEnd(8)} ${show(value)}${note}`);
    }
    const lifetime = times.exp && times.iat ? times.exp.value - times.iat.value : undefined;
    if (lifetime !== undefined && lifetime > 0) lines.push(`  lifetime ${lifetime} s (${formatDuration(lifetime)})`);
  }
  const { clockSkewSeconds, maxLifetimeSeconds } = explanation.tokenRules;
  lines.push(`rules at ${isoFromSeconds(explanation.nowSeconds) ?? explanation.nowSeconds} (clock skew ${clockSkewSeconds} s, max lifetime ${maxLifetimeSeconds} s)`);
  const ruleWidth = Math.max(...explanation.rules.map((r) => r.rule.length));
  for (const rule of explanation.rules) {
    lines.push(`  ${STATUS_LABEL[rule.status]}  ${rule.rule.padEnd(ruleWidth)}  ${rule.detail}${rule.reason ? ` [${rule.reason}]` : ''}`);
    if (rule.fix) lines.push(`        fix: ${rule.fix}`);
  }
  if (explanation.certificate) lines.push(...certificateLines(explanation.certificate));
  const { verdict } = explanation;
  if (verdict.decision === 'deny') {
    lines.push(`result: DENIED ${verdict.reason} (public reason: ${verdict.publicReason}): ${verdict.detail}`);
  } else if (verdict.decision === 'allow') {
    lines.push(`result: ALLOWED, signed by kid ${verdict.kid}`);
  } else {
    lines.push('result: passes every rule checked; the signature was NOT checked (give --public-key FILE)');
  }
  if (verdict.decision !== 'deny') {
    const unchecked = SERVER_SIDE_CHECKS.filter((c) => c.reason !== 'client_certificate_mismatch' || explanation.certificate?.binding === undefined);
    lines.push(`not checked here (server state): ${unchecked.map((c) => c.reason).join(', ')}; see keygate explain --help`);
  }
  return `${lines.join('\n')}\n`;
}

function bindingNote(certificate: CertificateExplanation): string {
  if (certificate.binding === undefined) {
    return "the name's binding policy is set at registration and is not in the token, so explain cannot know it: these checks matter only if it is subject or thumbprint (keygate keys show NAME; give it with --binding)";
  }
  if (certificate.binding === 'none') return 'binding none: the certificate is not checked against the token (any certificate the truststore accepts)';
  return `binding ${certificate.binding}: included in the result`;
}

function certificateLines(certificate: CertificateExplanation): string[] {
  const lines = [`client certificate ${show(certificate.subject)} (issuer ${show(certificate.issuer)}, serial ${certificate.serialNumber})`];
  const width = Math.max(...certificate.checks.map((c) => c.rule.length));
  for (const check of certificate.checks) {
    const decides = certificate.binding === check.policy;
    const label = decides ? (check.matches ? 'PASS' : 'FAIL') : check.matches ? 'yes ' : 'no  ';
    lines.push(`  ${label}  ${check.rule.padEnd(width)}  ${check.detail}  (binding ${check.policy})${decides && !check.matches ? ' [client_certificate_mismatch]' : ''}`);
  }
  lines.push(`  pin   ${certificate.spkiPinSha256}  (SHA-256 of its SubjectPublicKeyInfo: keygate keys add/access --pin takes it)`);
  if (certificate.pins) {
    lines.push(`  ${certificate.pins.matches ? 'PASS' : 'FAIL'}  the certificate's pin is one of --pin (${certificate.pins.listed.length} given)${certificate.pins.matches ? '' : ' [client_certificate_mismatch]'}`);
  }
  lines.push(`  ${bindingNote(certificate)}`);
  return lines;
}
