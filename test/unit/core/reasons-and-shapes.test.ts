import { describe, expect, it } from 'vitest';
import { deny, INTERNAL_REASONS, MAX_PUBLIC_DETAIL_LENGTH, publicDetailOf, toPublicReason } from '../../../lambdas/core/reasons.js';
import { isBoundedString, isIntegerIn, isStrictObject } from '../../../lambdas/core/shape.js';

describe('reasons', () => {
  it('each internal reason and the public reason the caller sees', () => {
    expect(Object.fromEntries(INTERNAL_REASONS.map((reason) => [reason, toPublicReason(reason)]))).toStrictEqual({
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
      key_expired: 'invalid_signature',
      insufficient_scope: 'insufficient_scope',
    });
  });

  it('a denial carries both reasons and the detail', () => {
    for (const reason of INTERNAL_REASONS) {
      expect(deny(reason, 'why')).toStrictEqual({ ok: false, reason, publicReason: toPublicReason(reason), detail: 'why' });
    }
  });

  it('the public detail: printable ASCII without " and \\, 1 to 240 characters', () => {
    expect(MAX_PUBLIC_DETAIL_LENGTH).toBe(240);
    const detail = (text: string) => publicDetailOf(deny('malformed_token', text));
    for (const ok of [' ', '!', '#', '[', ']', '~', 'a', '0', "it's", 'x'.repeat(240)]) expect(detail(ok), JSON.stringify(ok)).toBe(ok);
    for (const bad of ['"', '\\', '\u001f', '\u007f', '\u0080', 'a\tb', 'x'.repeat(241), 'ok"', '"ok']) expect(detail(bad), JSON.stringify(bad)).toBe('');
  });
});

describe('shape checks for values keygate wrote', () => {
  it('isStrictObject: an object with no member beyond the allowed ones', () => {
    expect(isStrictObject({}, ['a'])).toBe(true);
    expect(isStrictObject({ a: 1 }, ['a', 'b'])).toBe(true);
    expect(isStrictObject({ a: 1, c: 2 }, ['a', 'b'])).toBe(false);
    for (const notObject of [null, undefined, 'a', 1, [], ['a']]) expect(isStrictObject(notObject, ['a', '0']), JSON.stringify(notObject)).toBe(false);
  });

  it('isBoundedString: a string of at most maxLength characters, matching the pattern when given', () => {
    expect(isBoundedString('abc', 3)).toBe(true);
    expect(isBoundedString('', 0)).toBe(true);
    expect(isBoundedString('abcd', 3)).toBe(false);
    expect(isBoundedString(3, 3)).toBe(false);
    expect(isBoundedString('abc', 3, /^a/)).toBe(true);
    expect(isBoundedString('abc', 3, /^b/)).toBe(false);
  });

  it('isIntegerIn: an integer from min to max inclusive', () => {
    expect([0, 1, 5, 9, 10, 11].map((n) => isIntegerIn(n, 1, 10))).toEqual([false, true, true, true, true, false]);
    for (const notInteger of [1.5, '5', Number.NaN, Number.POSITIVE_INFINITY, null]) expect(isIntegerIn(notInteger, 0, Number.MAX_VALUE), String(notInteger)).toBe(false);
  });
});
