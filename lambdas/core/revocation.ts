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

const SERIAL = /^[0-9a-f]{2}(?::[0-9a-f]{2}){0,19}$/;

/**
 * One spelling per serial: lowercase hex, colon-separated, no leading zero octets (`0A1B`,
 * `0a:1b` and `00:0a:1b` are the same serial). Undefined when the text is not a serial.
 */
export function normalizeSerialNumber(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replace(/[:\s]/g, '');
  if (!/^[0-9a-f]{1,40}$/.test(hex)) return undefined;
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  const trimmed = even.replace(/^(?:00)+(?=[0-9a-f]{2})/, '');
  const serial = (trimmed.match(/../g) ?? []).join(':');
  return SERIAL.test(serial) ? serial : undefined;
}

export function revocationKey(issuer: string, serialNumber: string): string {
  return `${issuer}\u0000${serialNumber}`;
}
