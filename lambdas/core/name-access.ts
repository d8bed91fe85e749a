import { decodeCanonicalBase64url } from './base64url.js';

/**
 * Per-name access: which routes a name's tokens may call and which client certificates (by SPKI
 * pin) they may arrive on. Both are optional; a name without them keeps every protected route and
 * any certificate the truststore accepts.
 *
 * A route pattern is `METHOD /path`: METHOD is an HTTP method in capitals or `*` (any method); the
 * path is `/` or `/`-separated segments, each a literal or `*` (exactly one whole segment, never
 * part of one, never several). `GET /orders/*` allows `GET /orders/1`, not `GET /orders` nor
 * `GET /orders/1/items`.
 *
 * A pin is RFC 7469's: base64url (unpadded here) of the SHA-256 of the certificate's
 * SubjectPublicKeyInfo, so it survives a renewal that keeps the key.
 */
export const MAX_ROUTES = 32;
export const MAX_ROUTE_LENGTH = 256;
export const MAX_CERTIFICATE_PINS = 5;

export type NameAccessErrorCode = 'invalid_route' | 'too_many_routes' | 'invalid_certificate_pin' | 'invalid_certificate_pin_count';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: NameAccessErrorCode; readonly message: string };

/** What the authorizer checks for a name; undefined members are not checked. */
export interface NameAccess {
  readonly routes?: readonly RoutePattern[] | undefined;
  readonly certificatePins?: ReadonlySet<string> | undefined;
}

export interface RoutePattern {
  /** Undefined: any method. */
  readonly method: string | undefined;
  /** Undefined entries: any one segment. */
  readonly segments: readonly (string | undefined)[];
}

const METHOD = /^[A-Z]{1,16}$/;
// RFC 3986 pchar without percent-encoding and without `*`, which stands for a segment.
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;

/** Undefined when `path` is not `/` or canonical segments (no empty, `.` or `..` segment). */
function segmentsOf(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  if (path === '/') return [];
  const segments = path.slice(1).split('/');
  return segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..') ? segments : undefined;
}

function failure(code: NameAccessErrorCode, message: string): Parsed<never> {
  return { ok: false, code, message };
}

/** One pattern, checked; the message never quotes it beyond its position. */
export function parseRoutePattern(text: string): RoutePattern | undefined {
  if (text.length > MAX_ROUTE_LENGTH) return undefined;
  const space = text.indexOf(' ');
  if (space < 0) return undefined;
  const method = text.slice(0, space);
  const segments = segmentsOf(text.slice(space + 1));
  if ((method !== '*' && !METHOD.test(method)) || !segments) return undefined;
  if (!segments.every((segment) => segment === '*' || LITERAL_SEGMENT.test(segment))) return undefined;
  return { method: method === '*' ? undefined : method, segments: segments.map((segment) => (segment === '*' ? undefined : segment)) };
}

/** Sorted, without repeats: two lists that allow the same patterns compare equal. */
function canonical(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** A list of patterns, checked: 1 to MAX_ROUTES, each valid; parsed in the order given. */
function parseRoutePatterns(values: readonly string[]): Parsed<RoutePattern[]> {
  if (values.length === 0) return failure('invalid_route', 'routes lists at least one "METHOD /path" pattern; leave it out (or null) to allow every route');
  if (values.length > MAX_ROUTES) return failure('too_many_routes', `a name has at most ${MAX_ROUTES} route patterns; got ${values.length}`);
  const patterns: RoutePattern[] = [];
  for (const [position, value] of values.entries()) {
    const pattern = parseRoutePattern(value);
    if (!pattern) {
      return failure(
        'invalid_route',
        `routes[${position}] is not a "METHOD /path" pattern (at most ${MAX_ROUTE_LENGTH} characters; METHOD in capitals or *; path segments of A-Za-z0-9._~!$&'()+,;=:@- or a whole-segment *, e.g. "GET /orders/*")`,
      );
    }
    patterns.push(pattern);
  }
  return { ok: true, value: patterns };
}

/** A list of patterns as the API takes it: 1 to MAX_ROUTES, each valid; answered sorted and without repeats. */
export function parseRoutes(values: readonly string[]): Parsed<string[]> {
  const parsed = parseRoutePatterns(values);
  return parsed.ok ? { ok: true, value: canonical(values) } : parsed;
}

/** Whether `text` is a pin: the canonical unpadded base64url of 32 bytes. */
export function isCertificatePin(text: string): boolean {
  return text.length === 43 && decodeCanonicalBase64url(text)?.length === 32;
}

/** A list of pins as the API takes it: 1 to MAX_CERTIFICATE_PINS distinct pins; answered sorted. */
export function parseCertificatePins(values: readonly string[]): Parsed<string[]> {
  for (const [position, value] of values.entries()) {
    if (!isCertificatePin(value)) {
      return failure('invalid_certificate_pin', `certificatePins[${position}] is not a pin: the unpadded base64url (43 characters) of the SHA-256 of a certificate's SubjectPublicKeyInfo (RFC 7469)`);
    }
  }
  const pins = canonical(values);
  if (pins.length === 0 || pins.length > MAX_CERTIFICATE_PINS) {
    return failure('invalid_certificate_pin_count', `certificatePins lists 1 to ${MAX_CERTIFICATE_PINS} distinct pins; got ${pins.length}; leave it out (or null) for no pinning`);
  }
  return { ok: true, value: pins };
}

/** The stored lists, as the authorizer uses them; undefined when a stored list is not valid (the caller fails closed). */
export function nameAccessOf(stored: { readonly routes?: readonly string[] | undefined; readonly certificatePins?: readonly string[] | undefined }): NameAccess | undefined {
  let routes: RoutePattern[] | undefined;
  if (stored.routes !== undefined) {
    const parsed = parseRoutePatterns(stored.routes);
    if (!parsed.ok) return undefined;
    routes = parsed.value;
  }
  let certificatePins: Set<string> | undefined;
  if (stored.certificatePins !== undefined) {
    if (!parseCertificatePins(stored.certificatePins).ok) return undefined;
    certificatePins = new Set(stored.certificatePins);
  }
  return { routes, certificatePins };
}

function matches(pattern: RoutePattern, method: string, segments: readonly string[]): boolean {
  if (pattern.method !== undefined && pattern.method !== method) return false;
  if (pattern.segments.length !== segments.length) return false;
  return pattern.segments.every((literal, i) => literal === undefined || literal === segments[i]);
}

/**
 * Whether a request may call `method path` under `routes`. A path that is not canonical (an empty,
 * `.` or `..` segment) matches no pattern: fail closed rather than guess how the backend reads it.
 */
export function isRouteAllowed(routes: readonly RoutePattern[], method: string, path: string): boolean {
  const segments = segmentsOf(path);
  if (!segments) return false;
  return routes.some((pattern) => matches(pattern, method, segments));
}
