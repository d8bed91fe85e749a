/**
 * Deny reasons. Every deny carries an internal reason (logged, counted) and the public reason
 * derived from it (sent to the caller). Public reasons never reveal whether a key name exists.
 */
/**
 * Reasons decided from the token alone, before any key, name, certificate or replay record is
 * consulted: their detail is sent to the caller (publicDetailOf).
 */
const TOKEN_ONLY_REASONS = [
  'malformed_authorization',
  'malformed_token',
  'token_too_large',
  'unsupported_algorithm',
  'invalid_subject',
  'missing_claim',
  'invalid_claim',
  'token_expired',
  'token_not_yet_valid',
  'lifetime_too_long',
] as const;

export const INTERNAL_REASONS = [...TOKEN_ONLY_REASONS, 'unknown_key', 'unknown_kid', 'invalid_signature', 'replayed_token', 'client_certificate_mismatch', 'certificate_revoked', 'key_expired', 'insufficient_scope'] as const;

export type InternalReason = (typeof INTERNAL_REASONS)[number];

export type PublicReason =
  | 'malformed_token'
  | 'unsupported_algorithm'
  | 'invalid_subject'
  | 'invalid_claims'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'lifetime_too_long'
  | 'invalid_signature'
  | 'replayed_token'
  | 'client_certificate_mismatch'
  | 'certificate_revoked'
  /** RFC 6750: the token is good, the name may not call this route. */
  | 'insufficient_scope';

const PUBLIC_REASON: Readonly<Record<InternalReason, PublicReason>> = {
  malformed_authorization: 'malformed_token',
  malformed_token: 'malformed_token',
  token_too_large: 'malformed_token',
  unsupported_algorithm: 'unsupported_algorithm',
  invalid_subject: 'invalid_subject',
  missing_claim: 'invalid_claims',
  invalid_claim: 'invalid_claims',
  token_expired: 'token_expired',
  token_not_yet_valid: 'token_not_yet_valid',
  lifetime_too_long: 'lifetime_too_long',
  unknown_key: 'invalid_signature',
  unknown_kid: 'invalid_signature',
  invalid_signature: 'invalid_signature',
  replayed_token: 'replayed_token',
  client_certificate_mismatch: 'client_certificate_mismatch',
  certificate_revoked: 'certificate_revoked',
  // A key past KEYGATE_MAX_KEY_AGE_DAYS answers as a bad signature: the caller learns nothing about the key.
  key_expired: 'invalid_signature',
  insufficient_scope: 'insufficient_scope',
};

export function toPublicReason(reason: InternalReason): PublicReason {
  return PUBLIC_REASON[reason];
}

/** A denial: the internal reason, its public form, and a detail safe to log (never token material). */
export interface Denial {
  readonly ok: false;
  readonly reason: InternalReason;
  readonly publicReason: PublicReason;
  readonly detail: string;
}

export function deny(reason: InternalReason, detail: string): Denial {
  return { ok: false, reason, publicReason: PUBLIC_REASON[reason], detail };
}

/**
 * Denials whose detail is sent to the caller: the token-only ones. The others keep the bare public
 * reason, so no answer tells whether a name exists or which check behind it failed.
 */
const REASONS_WITH_PUBLIC_DETAIL: ReadonlySet<InternalReason> = new Set<InternalReason>(TOKEN_ONLY_REASONS);

export const MAX_PUBLIC_DETAIL_LENGTH = 240;

// Printable ASCII without `"` and `\`: the deployed gateway response substitutes the detail, unescaped,
// into a JSON string, and the text must be fit for a quoted HTTP header parameter too.
const PUBLIC_DETAIL_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

/** The sentence a caller may read about a denial, or '' when the reason keeps the generic answer. */
export function publicDetailOf(denial: Denial): string {
  if (!REASONS_WITH_PUBLIC_DETAIL.has(denial.reason)) return '';
  // Fails closed: a detail that could break the JSON body or a header is dropped, never repaired.
  return denial.detail.length <= MAX_PUBLIC_DETAIL_LENGTH && PUBLIC_DETAIL_TEXT.test(denial.detail) ? denial.detail : '';
}
