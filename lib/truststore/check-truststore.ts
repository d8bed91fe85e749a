import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Checks a PEM truststore against what API Gateway accepts for REST API mutual TLS, before it
 * is deployed: API Gateway itself only reports problems as warnings on the domain, after the fact.
 * Pure (no AWS CDK imports) so the `keygate truststore check` command can reuse it.
 */

/** API Gateway's limit on the truststore object. */
export const MAX_TRUSTSTORE_BYTES = 1024 * 1024;
/** API Gateway follows client certificate chains at most this many CA certificates deep. */
export const MAX_CHAIN_DEPTH = 4;
export const MIN_RSA_BITS = 2048;
export const MIN_EC_BITS = 256;
export const EXPIRY_WARNING_DAYS = 30;

const STRONG_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);
const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521 };
const DAY_MS = 86_400_000;

export interface TruststoreCertificate {
  /** Position of the certificate in the file, starting at 1. */
  readonly index: number;
  readonly subject: string;
  readonly issuer: string;
  /** `rsa`, `ec`, or whatever else the key is (which is then an error). */
  readonly keyType: string;
  /** Modulus length for RSA, curve size for EC; undefined when unknown. */
  readonly keyBits: number | undefined;
  /** `SHA-256`, `SHA-1`, …; undefined when the signature algorithm is not recognised. */
  readonly signatureHash: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints CA:TRUE. */
  readonly isCa: boolean;
  /** 1 for a root (or a certificate whose issuer is not in the file), its issuer's depth + 1 otherwise. */
  readonly depth: number;
  readonly fingerprint256: string;
}

export interface TruststoreReport {
  readonly certificates: readonly TruststoreCertificate[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly sizeBytes: number;
}

export interface CheckTruststoreOptions {
  /** The time validity is checked against. @default new Date() */
  readonly now?: Date;
}

export class TruststoreError extends Error {
  override readonly name = 'TruststoreError';
  /** @param source names the truststore in the message, e.g. its path */
  constructor(
    readonly report: TruststoreReport,
    source = 'the truststore',
  ) {
    super(`${source} is not usable: ${report.errors.join('; ')}`);
  }
}

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

function pemBlocks(pemText: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of pemText.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push({ label: match[1] ?? '', text: match[0] });
  }
  return blocks;
}

function keyDescription(cert: NodeX509Certificate): { keyType: string; keyBits: number | undefined } {
  const key = cert.publicKey;
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails;
  if (keyType === 'rsa' || keyType === 'rsa-pss') return { keyType, keyBits: details?.modulusLength };
  if (keyType === 'ec') return { keyType, keyBits: CURVE_BITS[details?.namedCurve ?? ''] };
  return { keyType, keyBits: undefined };
}

function signatureHash(cert: x509.X509Certificate): string | undefined {
  const algorithm = cert.signatureAlgorithm as { hash?: { name?: string } };
  return algorithm.hash?.name;
}

interface Parsed {
  readonly index: number;
  readonly node: NodeX509Certificate;
  readonly subject: string;
  readonly issuer: string;
  readonly signatureHash: string | undefined;
  readonly label: string;
}

/** Finds each certificate's issuer within the bundle, by name and signature. */
function issuerIndexes(parsed: readonly Parsed[]): (number | undefined)[] {
  return parsed.map((cert, i) => {
    if (cert.node.checkIssued(cert.node) && cert.node.verify(cert.node.publicKey)) return undefined;
    const found = parsed.findIndex((candidate, j) => j !== i && cert.node.checkIssued(candidate.node) && cert.node.verify(candidate.node.publicKey));
    return found === -1 ? undefined : found;
  });
}

function depths(issuers: readonly (number | undefined)[]): number[] {
  return issuers.map((_, start) => {
    let depth = 1;
    const seen = new Set<number>([start]);
    for (let next = issuers[start]; next !== undefined && !seen.has(next); next = issuers[next]) {
      seen.add(next);
      depth += 1;
    }
    return depth;
  });
}

/** Checks every rule; never throws on bad input, every problem is reported in `errors`. */
export function checkTruststore(pemText: string, options: CheckTruststoreOptions = {}): TruststoreReport {
  const now = options.now ?? new Date();
  const errors: string[] = [];
  const warnings: string[] = [];
  const sizeBytes = Buffer.byteLength(pemText, 'utf8');
  if (sizeBytes > MAX_TRUSTSTORE_BYTES) {
    errors.push(`the truststore is ${sizeBytes} bytes; API Gateway accepts at most ${MAX_TRUSTSTORE_BYTES} bytes (1 MB)`);
  }

  const blocks = pemBlocks(pemText);
  const parsed: Parsed[] = [];
  blocks.forEach((block, i) => {
    const where = `block #${i + 1}`;
    if (block.label.includes('PRIVATE KEY')) {
      errors.push(`${where} is a ${block.label}: a truststore holds CA certificates only; remove the key and treat it as leaked`);
      return;
    }
    if (block.label !== 'CERTIFICATE') {
      errors.push(`${where} is a ${block.label}, not a CERTIFICATE`);
      return;
    }
    try {
      const node = new NodeX509Certificate(block.text);
      const peculiar = new x509.X509Certificate(block.text);
      parsed.push({ index: i + 1, node, subject: peculiar.subject, issuer: peculiar.issuer, signatureHash: signatureHash(peculiar), label: `certificate #${i + 1} (${peculiar.subject})` });
    } catch (error) {
      errors.push(`${where} is not a readable X.509 certificate: ${(error as Error).message}`);
    }
  });
  if (blocks.length === 0) {
    errors.push('the truststore is empty: it has no PEM "-----BEGIN CERTIFICATE-----" blocks');
  }

  const issuers = issuerIndexes(parsed);
  const chainDepths = depths(issuers);
  const fingerprints = new Set<string>();
  const certificates = parsed.map((cert, i): TruststoreCertificate => {
    const { index, label, node } = cert;
    const { keyType, keyBits } = keyDescription(node);
    const hash = cert.signatureHash;
    const notBefore = new Date(node.validFrom);
    const notAfter = new Date(node.validTo);
    const depth = chainDepths[i] ?? 1;

    if (!node.ca) errors.push(`${label} is not a CA certificate (basicConstraints CA:TRUE is missing): put only the CAs that issue client certificates in the truststore`);
    if (notAfter.getTime() < now.getTime()) {
      errors.push(`${label} expired on ${notAfter.toISOString()}`);
    } else if (notAfter.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
      warnings.push(`${label} expires in ${days} days (${notAfter.toISOString()}); API Gateway will not warn you`);
    }
    if (notBefore.getTime() > now.getTime()) errors.push(`${label} is not valid before ${notBefore.toISOString()}`);
    if (keyType === 'rsa' || keyType === 'rsa-pss') {
      if (keyBits === undefined || keyBits < MIN_RSA_BITS) errors.push(`${label} has a ${keyBits ?? 'unknown'}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
    } else if (keyType === 'ec') {
      if (keyBits === undefined || keyBits < MIN_EC_BITS) errors.push(`${label} uses an unsupported EC curve; P-256, P-384 or P-521 is required`);
    } else {
      errors.push(`${label} has a ${keyType} key; API Gateway accepts RSA or ECDSA keys`);
    }
    if (hash === undefined || !STRONG_HASHES.has(hash)) {
      errors.push(`${label} is signed with ${hash ?? 'an unrecognised algorithm'}; SHA-256 or stronger is required`);
    }
    if (depth > MAX_CHAIN_DEPTH) errors.push(`${label} is ${depth} certificates deep in its chain; API Gateway supports at most ${MAX_CHAIN_DEPTH}`);
    if (issuers[i] === undefined && !(node.checkIssued(node) && node.verify(node.publicKey))) {
      warnings.push(`${label} was issued by ${cert.issuer}, which is not in the truststore`);
    }
    if (fingerprints.has(node.fingerprint256)) warnings.push(`${label} appears more than once`);
    fingerprints.add(node.fingerprint256);

    return { index, subject: cert.subject, issuer: cert.issuer, keyType, keyBits, signatureHash: hash, notBefore, notAfter, isCa: node.ca, depth, fingerprint256: node.fingerprint256 };
  });

  return { certificates, errors, warnings, sizeBytes };
}

/** Like `checkTruststore`, but throws a `TruststoreError` listing every error. */
export function assertValidTruststore(pemText: string, options: CheckTruststoreOptions = {}): TruststoreReport {
  const report = checkTruststore(pemText, options);
  if (report.errors.length > 0) throw new TruststoreError(report);
  return report;
}
