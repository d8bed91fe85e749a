import { createHash, X509Certificate } from 'node:crypto';
import { canonicalCertificateName, normalizeSerialNumber } from './revocation.js';

/** What keygate needs to know about a client certificate, read from its PEM (not from API Gateway's DN strings). */
export interface ClientCertificateFacts {
  /** RFC 2253 order: most specific first, e.g. `CN=demo,O=keygate`. */
  readonly subject: string;
  readonly issuer: string;
  /** The issuer in the comparable form revocation entries are stored in (canonicalDistinguishedName). */
  readonly issuerCanonical: string;
  /** Lowercase hex, colon-separated, as API Gateway and OpenSSL print it. */
  readonly serialNumber: string;
  /** SHA-256 of the DER, base64url (RFC 8705 `x5t#S256`). */
  readonly thumbprintSha256: string;
  /** SHA-256 of the SubjectPublicKeyInfo, base64url unpadded (an RFC 7469 pin; name-access.ts). */
  readonly spkiPinSha256: string;
  readonly commonName: string | undefined;
}

function rfc2253(name: string): string {
  return name.split('\n').reverse().join(',');
}

export function readClientCertificate(pem: string): ClientCertificateFacts {
  const certificate = new X509Certificate(pem);
  const commonName = /^CN=(.*)/m.exec(certificate.subject)?.[1];
  return {
    subject: rfc2253(certificate.subject),
    issuer: rfc2253(certificate.issuer),
    issuerCanonical: canonicalCertificateName(certificate.issuer),
    serialNumber: normalizeSerialNumber(certificate.serialNumber) ?? certificate.serialNumber.toLowerCase(),
    thumbprintSha256: Buffer.from(certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url'),
    spkiPinSha256: spkiPinOf(certificate),
    commonName,
  };
}

/** The certificate's RFC 7469 SHA-256 pin, base64url without padding. */
export function spkiPinOf(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}
