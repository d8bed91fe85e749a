import 'reflect-metadata';
import { generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 is typed against the DOM's WebCrypto; Node's implementation is the same API.
type WebCryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;
x509.cryptoProvider.set(webcrypto as never);

const generateKeyPairAsync = promisify(generateKeyPair);

export type KeySpec = { readonly kind: 'rsa'; readonly bits: number } | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384' };
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface KeyPairPem {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privateKeyPem: string;
}

/** An issued certificate with its private key. */
export interface CertifiedKey extends KeyPairPem {
  readonly certificatePem: string;
  readonly certificate: x509.X509Certificate;
}

export async function generateKeys(spec: KeySpec = { kind: 'rsa', bits: 2048 }): Promise<KeyPairPem> {
  const { privateKey, publicKey } =
    spec.kind === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: spec.bits, publicExponent: 65537 })
      : await generateKeyPairAsync('ec', { namedCurve: spec.curve === 'P-256' ? 'prime256v1' : 'secp384r1' });
  return { privateKey, publicKey, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function signingAlgorithm(key: KeyObject, hash: HashName): SigningAlgorithm {
  return key.asymmetricKeyType === 'ec' ? { name: 'ECDSA', hash } : { name: 'RSASSA-PKCS1-v1_5', hash };
}

/** The WebCrypto import parameters for a key pair's algorithm (EC keys need their curve). */
function importAlgorithm(key: KeyObject, hash: HashName): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  return key.asymmetricKeyType === 'ec'
    ? { name: 'ECDSA', namedCurve: key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash };
}

async function toSigningKey(privateKey: KeyObject, hash: HashName): Promise<WebCryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), importAlgorithm(privateKey, hash), false, ['sign']);
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

/** RFC 4514 names need escaping of a few characters; names here come from users. */
export function distinguishedName(commonName: string, organization?: string): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;=#])/g, '\\$1');
  // Encoded most general first, so RFC 2253 (most specific first) reads "CN=…,O=…".
  return organization ? `O=${escape(organization)}, CN=${escape(commonName)}` : `CN=${escape(commonName)}`;
}

export interface CertificateOptions {
  readonly subject: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly days?: number;
  readonly hash?: HashName;
  readonly serialNumber?: string;
}

function validity(options: CertificateOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.days ?? 365) * 86_400_000);
  return { notBefore, notAfter };
}

function wrap(certificate: x509.X509Certificate, keys: KeyPairPem): CertifiedKey {
  // A trailing newline, so files concatenate into valid PEM bundles.
  return { ...keys, certificate, certificatePem: `${certificate.toString('pem').trimEnd()}\n` };
}

/** A self-signed CA certificate (basicConstraints CA, keyCertSign + cRLSign). */
export async function createSelfSignedCa(options: CertificateOptions & { readonly key?: KeySpec; readonly pathLength?: number; readonly isCa?: boolean }): Promise<CertifiedKey> {
  const keys = await generateKeys(options.key);
  const hash = options.hash ?? 'SHA-256';
  const isCa = options.isCa ?? true;
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: options.subject,
    issuer: options.subject,
    ...validity(options),
    publicKey: spki,
    signingKey: (await toSigningKey(keys.privateKey, hash)) as never,
    signingAlgorithm: signingAlgorithm(keys.privateKey, hash),
    extensions: [
      new x509.BasicConstraintsExtension(isCa, isCa ? options.pathLength : undefined, true),
      new x509.KeyUsagesExtension(isCa ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(spki),
    ],
  });
  return wrap(certificate, keys);
}

export type CertificateProfile = 'server' | 'client' | 'intermediate-ca';

export interface IssueOptions extends CertificateOptions {
  readonly issuer: CertifiedKey;
  readonly profile: CertificateProfile;
  /** The subject's public key (from a CSR); when absent a new key pair is generated. */
  readonly publicKey?: KeyObject;
  readonly key?: KeySpec;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly pathLength?: number;
}

/** Issues a certificate signed by `issuer`, for a TLS server, a TLS client or an intermediate CA. */
export async function issueCertificate(options: IssueOptions): Promise<CertifiedKey & { readonly generatedKey: boolean }> {
  const hash = options.hash ?? 'SHA-256';
  const keys: KeyPairPem = options.publicKey
    ? { publicKey: options.publicKey, privateKey: options.publicKey, privateKeyPem: '' }
    : await generateKeys(options.key);
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const extensions: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(spki), await x509.AuthorityKeyIdentifierExtension.create(options.issuer.certificate)];
  if (options.profile === 'intermediate-ca') {
    extensions.push(new x509.BasicConstraintsExtension(true, options.pathLength, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([options.profile === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false));
  }
  const altNames = [...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: options.subject,
    issuer: options.issuer.certificate.subject,
    ...validity(options),
    publicKey: spki,
    signingKey: (await toSigningKey(options.issuer.privateKey, hash)) as never,
    signingAlgorithm: signingAlgorithm(options.issuer.privateKey, hash),
    extensions,
  });
  return { ...wrap(certificate, keys), generatedKey: !options.publicKey };
}

/** A PKCS#10 request, as a consumer would make with openssl req -new. */
export async function createCsr(keys: KeyPairPem, subject: string, hash: HashName = 'SHA-256'): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys: {
      privateKey: (await toSigningKey(keys.privateKey, hash)) as never,
      publicKey: (await webcrypto.subtle.importKey('spki', keys.publicKey.export({ type: 'spki', format: 'der' }), importAlgorithm(keys.privateKey, hash), true, ['verify'])) as never,
    },
    signingAlgorithm: signingAlgorithm(keys.privateKey, hash),
  });
  return csr.toString('pem');
}

export { x509 };
