/** A client certificate revoked by support staff: API Gateway does not check revocation, so the authorizer does. */
export interface RevokedCertificate {
  /** RFC 2253 issuer DN, as readClientCertificate reports it, e.g. `CN=keygate dev CA`. */
  readonly issuer: string;
  /** Lowercase colon-separated hex, e.g. `0a:1b:2c`. */
  readonly serialNumber: string;
  readonly revokedAt: string;
  readonly revokedBy: string;
  readonly reason?: string | undefined;
}

/** A serial as it is stored and compared: lowercase hex octets, colon-separated, at most 20 (RFC 5280). */
export const SERIAL_NUMBER_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){0,19}$/;

/**
 * One spelling per serial: lowercase hex, colon-separated, no leading zero octets (`0A1B`,
 * `0a:1b` and `00:0a:1b` are the same serial). Undefined when the text is not a serial.
 */
export function normalizeSerialNumber(text: string): string | undefined {
  const hex = text.toLowerCase().replace(/[:\s]/g, '');
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  // Leading zero octets go, but never the last octet: `0000` is the serial `00`.
  const serial = even.replace(/^(?:00)+(?=.)/, '').replace(/..(?=.)/g, '$&:');
  return SERIAL_NUMBER_PATTERN.test(serial) ? serial : undefined;
}

/** One spelling of a DN for comparison: attribute types upper-cased, spaces trimmed, attributes sorted. */
function canonicalFromAttributes(attributes: readonly string[]): string | undefined {
  const canonical: string[] = [];
  for (const attribute of attributes) {
    const equals = attribute.indexOf('=');
    if (equals === -1) return undefined;
    const type = attribute.slice(0, equals).trim().toUpperCase();
    const value = attribute.slice(equals + 1).trim().replace(/\\(.)/g, '$1');
    if (!/^[A-Z][A-Z0-9-]*$|^[0-2](?:\.\d+)+$/.test(type)) return undefined;
    canonical.push(`${type}=${value}`);
  }
  return canonical.length > 0 ? canonical.sort().join(',') : undefined;
}

/**
 * The comparable form of an issuer DN typed by support staff, in any of the common spellings:
 * RFC 4514 (`CN=Dev CA, O=Example`), OpenSSL's one-line form (`/O=Example/CN=Dev CA`) or its
 * default form (`O = Example, CN = Dev CA`), in either order. Undefined when it is not a DN.
 */
export function canonicalDistinguishedName(dn: string): string | undefined {
  const text = dn.trim();
  if (text.length > 1024) return undefined;
  const separator = text.startsWith('/') ? /(?<!\\)\// : /(?<!\\)[,+\n]/;
  return canonicalFromAttributes(text.split(separator).filter((part) => part.trim() !== ''));
}

/** The comparable form of a certificate's DN as node:crypto prints it (one attribute per line, unescaped). */
export function canonicalCertificateName(nodeName: string): string {
  return canonicalFromAttributes(nodeName.split('\n')) ?? nodeName;
}

export function revocationKey(canonicalIssuer: string, serialNumber: string): string {
  return `${canonicalIssuer}\u0000${serialNumber}`;
}

/**
 * The key of a stored entry. Entries hold the canonical issuer; it is canonicalized again so an
 * entry written by hand still matches.
 */
export function revokedEntryKey(entry: Pick<RevokedCertificate, 'issuer' | 'serialNumber'>): string {
  return revocationKey(canonicalDistinguishedName(entry.issuer) ?? entry.issuer, entry.serialNumber);
}
