import { describe, expect, it } from 'vitest';
import { authorizeTokenSync, type KeyLookup } from '../../../lambdas/core/authorization.js';
import { addedAtSecondsOf, checkKeyAge, isNearKeyAgeLimit, keyAgeDays } from '../../../lambdas/core/key-age.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { mintToken, rsaKeyPair, verificationKey } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const DAY = 86_400;

describe('checkKeyAge', () => {
  it('passes a key exactly at the limit and refuses one a second older, as key_expired answered as invalid_signature', () => {
    expect(checkKeyAge(NOW - 90 * DAY, NOW, 90)).toBeUndefined();
    expect(checkKeyAge(NOW - 90 * DAY - 1, NOW, 90)).toEqual({
      ok: false,
      reason: 'key_expired',
      publicReason: 'invalid_signature',
      detail: 'the key that verified was registered 90 days ago, over the limit of 90 days (KEYGATE_MAX_KEY_AGE_DAYS)',
    });
  });

  it('refuses nothing without a limit, however old the key or unknown its date', () => {
    expect(checkKeyAge(NOW - 20 * 365 * DAY, NOW, undefined)).toBeUndefined();
    expect(checkKeyAge(undefined, NOW, undefined)).toBeUndefined();
  });

  it('fails closed with a limit when the key has no registration date', () => {
    expect(checkKeyAge(undefined, NOW, 3650)).toStrictEqual({ ok: false, reason: 'key_expired', publicReason: 'invalid_signature', detail: 'the key that verified has no registration date and a key-age limit is set' });
  });

  it('passes a key dated in the future (a clock step back)', () => {
    expect(checkKeyAge(NOW + DAY, NOW, 1)).toBeUndefined();
  });
});

describe('key age helpers', () => {
  it('measures age in days, never negative', () => {
    expect(keyAgeDays(NOW - 36 * 3600, NOW)).toBe(1.5);
    expect(keyAgeDays(NOW + 10, NOW)).toBe(0);
  });

  it('warns from 30 days before the limit, not before; never without a limit', () => {
    expect(isNearKeyAgeLimit(60, 90)).toBe(false);
    expect(isNearKeyAgeLimit(60.01, 90)).toBe(true);
    expect(isNearKeyAgeLimit(200, 90)).toBe(true);
    expect(isNearKeyAgeLimit(0.5, 10)).toBe(true);
    expect(isNearKeyAgeLimit(10_000, undefined)).toBe(false);
  });

  it('reads a stored addedAt; a value that is not a date is unknown', () => {
    expect(addedAtSecondsOf('2026-09-21T12:00:00.500Z')).toBe(Date.UTC(2026, 8, 21, 12) / 1000);
    expect(addedAtSecondsOf('')).toBeUndefined();
    expect(addedAtSecondsOf('yesterday')).toBeUndefined();
  });
});

describe('the key-age step of the pipeline', () => {
  const pair = rsaKeyPair();
  const young = rsaKeyPair(2048, 'young');
  const lookupOf = (...keys: [ReturnType<typeof rsaKeyPair>, number | undefined][]): KeyLookup => ({
    keys: keys.map(([each, addedAtSeconds]) => ({ ...verificationKey(each), addedAtSeconds })),
    binding: undefined,
  });
  const authorize = async (signer: ReturnType<typeof rsaKeyPair>, lookup: KeyLookup, maxKeyAgeDays: number | undefined, binding: 'none' | 'subject' = 'none') =>
    authorizeTokenSync(await mintToken(signer, { nowSeconds: NOW, name: 'acme' }), { nowSeconds: NOW, certificate: undefined }, { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: binding, maxKeyAgeDays }, { lookUpKeys: () => lookup });

  it('judges the key that verified, not the name: an old key beside a young one refuses only tokens it signed', async () => {
    const lookup = lookupOf([pair, NOW - 400 * DAY], [young, NOW - DAY]);
    expect(await authorize(pair, lookup, 365)).toMatchObject({ decision: 'deny', keyName: 'acme', denial: { reason: 'key_expired', publicReason: 'invalid_signature' } });
    expect(await authorize(young, lookup, 365)).toMatchObject({ decision: 'allow' });
  });

  it('lets every key through when the limit is off', async () => {
    expect(await authorize(pair, lookupOf([pair, NOW - 4000 * DAY]), undefined)).toMatchObject({ decision: 'allow' });
  });

  it('comes after the signature (a bad signature stays invalid_signature) and before the certificate binding', async () => {
    const old = lookupOf([pair, NOW - 400 * DAY]);
    expect(await authorize(young, old, 365)).toMatchObject({ decision: 'deny', denial: { reason: 'invalid_signature' } });
    // Subject binding without a certificate would be client_certificate_mismatch: the age is decided first.
    expect(await authorize(pair, old, 365, 'subject')).toMatchObject({ decision: 'deny', denial: { reason: 'key_expired' } });
    expect(await authorize(pair, lookupOf([pair, NOW - DAY]), 365, 'subject')).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch' } });
  });
});
