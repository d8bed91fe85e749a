/**
 * Deny reasons. Every deny carries an internal reason (logged, counted) and the public reason
 * derived from it (sent to the caller). Public reasons never reveal whether a key name exists.
 */
export const INTERNAL_REASONS = [
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
  'unknown_key',
  'unknown_kid',
  'invalid_signature',
  'replayed_token',
  'client_certificate_mismatch',
  'certificate_revoked',
] as const;

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
  | 'certificate_revoked';

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
