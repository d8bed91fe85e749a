import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { SignJWT } from 'jose';
import { MAX_KID_LENGTH, SUBJECT_PREFIX, TOKEN_ALGORITHM } from '../../lambdas/core/limits.js';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import { readInputFile, warnIfReadableByOthers } from '../files.js';
import { loadRsaPrivateKey } from '../key-files.js';
import { integerIn, keyName } from '../options.js';
import { readCertificateFile } from '../pki/ca-store.js';

export const DEFAULT_TTL_SECONDS = 300;

interface TokenOptions {
  readonly key: string;
  readonly name: string;
  readonly ttl: number;
  readonly kid?: string;
  readonly cert?: string;
}

function kid(value: string): string {
  if (value.length === 0 || value.length > MAX_KID_LENGTH) throw new InvalidArgumentError(`a kid is 1-${MAX_KID_LENGTH} characters.`);
  return value;
}

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('print one RS512 token (JWT) for the keygate contract on stdout')
    .requiredOption('--key <file>', 'your RSA private key (PEM, not encrypted), e.g. private.pem from keygate keygen')
    .requiredOption('--name <name>', `the registered key name; the token's sub is ${SUBJECT_PREFIX}<name>`, keyName)
    .option('--ttl <seconds>', `lifetime (exp - iat), 1 to ${DEFAULT_TOKEN_RULES.maxLifetimeSeconds}`, integerIn(1, DEFAULT_TOKEN_RULES.maxLifetimeSeconds), DEFAULT_TTL_SECONDS)
    .option('--kid <kid>', 'the key id to send in the header (keygate keygen prints it); selects one key during a rotation', kid)
    .option('--cert <file>', 'bind the token to this client certificate (PEM): adds the claim cnf {"x5t#S256": <its SHA-256 thumbprint>} (RFC 8705), required by names registered with --binding thumbprint')
    .action(token);
}

async function token(options: TokenOptions): Promise<void> {
  const privateKey = loadRsaPrivateKey(await readInputFile(options.key, '--key'), options.key);
  const certificate = options.cert === undefined ? undefined : await readCertificateFile(options.cert, '--cert');
  await warnIfReadableByOthers(options.key, 'private key');
  const now = new Date();
  if (certificate && (now < certificate.notBefore || now > certificate.notAfter)) {
    process.stderr.write(`keygate: warning: --cert ${options.cert} is valid only from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}; the TLS handshake will refuse it\n`);
  }
  const iat = Math.floor(now.getTime() / 1000);
  const claims = { sub: `${SUBJECT_PREFIX}${options.name}`, jti: randomUUID(), ...(certificate ? { cnf: { 'x5t#S256': certificate.thumbprintSha256 } } : {}) };
  const jwt = await new SignJWT(claims)
    .setProtectedHeader(options.kid === undefined ? { alg: TOKEN_ALGORITHM } : { alg: TOKEN_ALGORITHM, kid: options.kid })
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.ttl)
    .sign(privateKey);
  process.stdout.write(`${jwt}\n`);
}
