import { InvalidArgumentError } from 'commander';
import { isCertificatePin, MAX_ROUTE_LENGTH, parseRoutePattern } from '../lambdas/core/name-access.js';
import { readCertificateFile } from './pki/ca-store.js';

/** The commander parsers and file reading that `keygate keys` and `keygate explain` share for routes and pins. */

/** Collects a repeatable option's values in order. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

export function routePattern(value: string): string {
  if (!parseRoutePattern(value)) {
    throw new InvalidArgumentError(`expected "METHOD /path" (METHOD in capitals or *, a * for a whole path segment, at most ${MAX_ROUTE_LENGTH} characters), e.g. 'GET /orders/*'.`);
  }
  return value;
}

export function certificatePin(value: string): string {
  if (!isCertificatePin(value)) throw new InvalidArgumentError("expected a SHA-256 SPKI pin: 43 characters of base64url (keygate explain --cert FILE prints a certificate's pin).");
  return value;
}

/** The pins of `--pin` values and of the certificates named by `--pin-cert`, in that order. */
export async function pinsOf(pins: readonly string[] | undefined, pinCertificates: readonly string[] | undefined): Promise<string[] | undefined> {
  if (pins === undefined && pinCertificates === undefined) return undefined;
  const fromFiles = await Promise.all((pinCertificates ?? []).map(async (file) => (await readCertificateFile(file, '--pin-cert')).spkiPinSha256));
  return [...(pins ?? []), ...fromFiles];
}
