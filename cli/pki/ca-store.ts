import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readClientCertificate, type ClientCertificateFacts } from '../../lambdas/core/client-certificate.js';
import { isValidKeyName } from '../../lambdas/core/limits.js';
import { normalizeSerialNumber } from '../../lambdas/core/revocation.js';
import { CliError } from '../errors.js';
import { exists, readInputFile, writeFileAtomic } from '../files.js';
import { createSelfSignedCa, distinguishedName, issueCertificate, x509, type CertifiedKey } from './x509.js';

/** The files of a CA directory. `index.json` lists every certificate issued, so one can be revoked later. */
export const CA_FILES = { certificate: 'ca.pem', key: 'ca.key', index: 'index.json' } as const;

export interface IssuedCertificate {
  readonly serialNumber: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly issuedAt: string;
  readonly sha256Fingerprint: string;
  /** Set by `keygate ca revoke`. */
  readonly revokedAt?: string;
  readonly revocationReason?: string;
}

interface CaIndex {
  readonly version: 1;
  readonly certificates: IssuedCertificate[];
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
const ACCEPTED_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const ACCEPTED_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

export function caPaths(dir: string): { certificate: string; key: string; index: string } {
  return { certificate: join(dir, CA_FILES.certificate), key: join(dir, CA_FILES.key), index: join(dir, CA_FILES.index) };
}

/** Creates the CA key and certificate. The CA only issues end-entity certificates (path length 0). */
export async function createCa(options: { readonly commonName: string; readonly bits: number; readonly days: number }): Promise<CertifiedKey> {
  return createSelfSignedCa({ subject: distinguishedName(options.commonName), key: { kind: 'rsa', bits: options.bits }, days: options.days, pathLength: 0 });
}

export async function saveCa(dir: string, ca: CertifiedKey): Promise<void> {
  const paths = caPaths(dir);
  await writeFileAtomic(paths.key, ca.privateKeyPem, 0o600);
  await writeFileAtomic(paths.certificate, ca.certificatePem, 0o644);
  await writeIndex(paths.index, { version: 1, certificates: [] });
}

/** Loads a CA directory and checks it can still sign: key matches certificate, certificate is a CA and valid now. */
export async function loadCa(dir: string, now: Date): Promise<CertifiedKey> {
  const paths = caPaths(dir);
  if (!(await exists(paths.certificate))) throw new CliError(`${dir} is not a keygate CA directory: ${CA_FILES.certificate} is missing (create one with keygate ca init)`);
  const certificatePem = await readInputFile(paths.certificate, 'CA certificate');
  const privateKeyPem = await readInputFile(paths.key, 'CA key');
  let certificate: x509.X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new x509.X509Certificate(certificatePem);
  } catch {
    throw new CliError(`${paths.certificate} is not a PEM certificate`);
  }
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new CliError(`${paths.key} is not a readable, unencrypted private key`);
  }
  const publicKey = createPublicKey(privateKey);
  if (!Buffer.from(certificate.publicKey.rawData).equals(publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new CliError(`${paths.key} does not belong to ${paths.certificate}`);
  }
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new CliError(`${paths.certificate} is not a CA certificate`);
  if (now < certificate.notBefore || now > certificate.notAfter) {
    throw new CliError(`the CA certificate is valid only from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}`);
  }
  return { certificate, certificatePem, privateKey, publicKey, privateKeyPem };
}

export interface CheckedCsr {
  readonly commonName: string;
  readonly publicKey: KeyObject;
  readonly keyDescription: string;
}

/**
 * Checks a PKCS#10 request against what API Gateway and keygate accept: one request, a valid
 * signature with SHA-256 or stronger, RSA of 2048 bits or more or EC P-256/P-384/P-521, and one CN
 * that is a valid key name. Only the CN and the key are used; everything else in the CSR is ignored.
 */
export async function checkCsr(pem: string, path: string): Promise<CheckedCsr> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new CliError(`${path} contains a private key; send only the certificate request`);
  const blocks = pem.match(/-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----/g) ?? [];
  if (blocks.length !== 1) {
    throw new CliError(blocks.length === 0 ? `${path} is not a PEM certificate request (expected -----BEGIN CERTIFICATE REQUEST-----)` : `${path} holds ${blocks.length} certificate requests; send one`);
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem.replace(/(-----(?:BEGIN|END) )NEW (CERTIFICATE REQUEST-----)/g, '$1$2'));
  } catch {
    throw new CliError(`${path} is not a valid PKCS#10 certificate request`);
  }

  const { publicKey, keyDescription } = checkCsrKey(csr, path);
  let hash: string | undefined;
  try {
    hash = (csr.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
  } catch {
    hash = undefined;
  }
  if (!hash || !ACCEPTED_HASHES.has(hash)) {
    throw new CliError(`${path} is signed with ${hash ?? 'an unsupported algorithm'}; SHA-256 or stronger is required (openssl req -new -sha256)`);
  }
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new CliError(`the signature of ${path} does not verify: the request was altered or not signed by its key`);

  const commonNames = csr.subjectName.getField('CN');
  if (commonNames.length !== 1) throw new CliError(`${path} must have exactly one CN (the user id); it has ${commonNames.length}`);
  const commonName = commonNames[0] ?? '';
  if (!isValidKeyName(commonName)) {
    throw new CliError(`the CN of ${path} must be 1-64 characters of A-Za-z0-9._- starting with a letter or digit; got ${JSON.stringify(commonName.slice(0, 80))}`);
  }
  return { commonName, publicKey, keyDescription };
}

function checkCsrKey(csr: x509.Pkcs10CertificateRequest, path: string): { publicKey: KeyObject; keyDescription: string } {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new CliError(`the public key in ${path} cannot be read`);
  }
  if (publicKey.asymmetricKeyType === 'rsa') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new CliError(`${path} has a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required (4096 recommended)`);
    if (bits > MAX_RSA_BITS) throw new CliError(`${path} has a ${bits}-bit RSA key; at most ${MAX_RSA_BITS} bits are accepted`);
    return { publicKey, keyDescription: `RSA ${bits}` };
  }
  if (publicKey.asymmetricKeyType === 'ec') {
    const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const name = ACCEPTED_CURVES[curve];
    if (!name) throw new CliError(`${path} has an EC key on curve ${curve}; use P-256 or larger (P-256, P-384, P-521)`);
    return { publicKey, keyDescription: `EC ${name}` };
  }
  throw new CliError(`${path} has a ${publicKey.asymmetricKeyType ?? 'unknown'} key; use RSA (2048 bits or more) or EC P-256 or larger`);
}

/** Issues a client certificate for a checked CSR and records it in the CA's index. */
export async function signClientCertificate(dir: string, ca: CertifiedKey, csr: CheckedCsr, options: { readonly days: number; readonly now: Date }): Promise<{ certificatePem: string; entry: IssuedCertificate }> {
  const notBefore = new Date(options.now.getTime() - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + options.days * 86_400_000);
  if (notAfter > ca.certificate.notAfter) {
    const maxDays = Math.floor((ca.certificate.notAfter.getTime() - notBefore.getTime()) / 86_400_000);
    throw new CliError(`a certificate for ${options.days} days would outlive the CA (valid until ${ca.certificate.notAfter.toISOString()}); use --days ${maxDays} or less`);
  }
  const issued = await issueCertificate({ issuer: ca, profile: 'client', publicKey: csr.publicKey, subject: distinguishedName(csr.commonName), notBefore, notAfter, hash: 'SHA-256' });
  const entry: IssuedCertificate = {
    serialNumber: issued.certificate.serialNumber,
    subject: issued.certificate.subject,
    notBefore: issued.certificate.notBefore.toISOString(),
    notAfter: issued.certificate.notAfter.toISOString(),
    issuedAt: options.now.toISOString(),
    sha256Fingerprint: new X509Certificate(issued.certificatePem).fingerprint256,
  };
  const indexPath = caPaths(dir).index;
  const index = await readIndex(indexPath);
  await writeIndex(indexPath, { version: 1, certificates: [...index.certificates, entry] });
  return { certificatePem: issued.certificatePem, entry };
}

async function readIndex(path: string): Promise<CaIndex> {
  if (!(await exists(path))) return { version: 1, certificates: [] };
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<CaIndex>;
    if (parsed.version === 1 && Array.isArray(parsed.certificates)) return { version: 1, certificates: parsed.certificates };
  } catch {
    // reported below
  }
  throw new CliError(`${path} is not a keygate CA index; fix or restore it before issuing more certificates`);
}

async function writeIndex(path: string, index: CaIndex): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(index, null, 2)}\n`, 0o644);
}

/** Reads a file holding exactly one PEM certificate (a private key next to it is ignored, never printed). */
export async function readCertificateFile(path: string, what: string): Promise<ClientCertificateFacts & { readonly notBefore: Date; readonly notAfter: Date }> {
  const pem = await readInputFile(path, what);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) {
    throw new CliError(blocks.length === 0 ? `${what} ${path} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)` : `${what} ${path} holds ${blocks.length} certificates; give the one client certificate`);
  }
  try {
    const certificate = new X509Certificate(blocks[0] as string);
    return { ...readClientCertificate(blocks[0] as string), notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
  } catch {
    throw new CliError(`${what} ${path} is not a readable X.509 certificate`);
  }
}

export interface IndexRevocation {
  /** RFC 2253 issuer of the certificate (the CA's subject), as the authorizer compares it. */
  readonly issuer: string;
  /** Lowercase colon-separated hex, as the revocation list stores it. */
  readonly serialNumber: string;
  readonly entry: IssuedCertificate;
  readonly alreadyRevoked: boolean;
}

/**
 * Marks a certificate this CA issued as revoked in index.json. Needs only ca.pem and the index, not
 * the CA key. A serial the index does not list is refused; revoking twice keeps the first time.
 */
export async function revokeInIndex(dir: string, serialText: string, options: { readonly reason?: string | undefined; readonly now: Date }): Promise<IndexRevocation> {
  const paths = caPaths(dir);
  if (!(await exists(paths.certificate))) throw new CliError(`${dir} is not a keygate CA directory: ${CA_FILES.certificate} is missing`);
  let issuer: string;
  try {
    issuer = readClientCertificate(await readInputFile(paths.certificate, 'CA certificate')).subject;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${paths.certificate} is not a PEM certificate`);
  }
  const serialNumber = normalizeSerialNumber(serialText);
  if (!serialNumber) throw new CliError(`${JSON.stringify(serialText.slice(0, 80))} is not a serial number (hex, e.g. 0a:1b:2c or 0A1B2C)`);
  const index = await readIndex(paths.index);
  const position = index.certificates.findIndex((c) => normalizeSerialNumber(c.serialNumber) === serialNumber);
  const found = index.certificates[position];
  if (!found) throw new CliError(`${paths.index} lists no certificate with serial ${serialNumber}; this CA did not issue it (or the index was replaced)`);
  if (found.revokedAt !== undefined) return { issuer, serialNumber, entry: found, alreadyRevoked: true };
  const entry: IssuedCertificate = { ...found, revokedAt: options.now.toISOString(), ...(options.reason !== undefined ? { revocationReason: options.reason } : {}) };
  const certificates = [...index.certificates];
  certificates[position] = entry;
  await writeIndex(paths.index, { version: 1, certificates });
  return { issuer, serialNumber, entry, alreadyRevoked: false };
}
