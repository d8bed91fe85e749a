import { describe, expect, it } from 'vitest';
import { parseStoredRecord, serializeRecord } from '../../../lambdas/key-store/stored-record.js';
import { storedKey } from '../../helpers/stored-keys.js';

const key = storedKey('a');
const valid = { name: 'acme', keys: [key] };

describe('parseStoredRecord: the store is not trusted blindly', () => {
  it('reads back what keygate writes, with and without a binding', () => {
    expect(parseStoredRecord(serializeRecord(valid), 'acme')).toEqual(valid);
    expect(parseStoredRecord(serializeRecord({ ...valid, binding: 'subject' }), 'acme')).toEqual({ ...valid, binding: 'subject' });
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['another name', JSON.stringify({ ...valid, name: 'other' })],
    ['an unknown member', JSON.stringify({ ...valid, owner: 'x' })],
    ['three keys', JSON.stringify({ name: 'acme', keys: [key, storedKey('b'), storedKey('c')] })],
    ['an unknown binding', JSON.stringify({ ...valid, binding: 'strict' })],
    ['a key with an unknown member', JSON.stringify({ name: 'acme', keys: [{ ...key, extra: 1 }] })],
    ['a non-RSA JWK', JSON.stringify({ name: 'acme', keys: [{ ...key, jwk: { ...key.jwk, kty: 'EC' } }] })],
    ['a JWK with a private member', JSON.stringify({ name: 'acme', keys: [{ ...key, jwk: { ...key.jwk, d: 'AQAB' } }] })],
    ['n that is not base64url', JSON.stringify({ name: 'acme', keys: [{ ...key, jwk: { ...key.jwk, n: 'a+b/' } }] })],
    ['fractional bits', JSON.stringify({ name: 'acme', keys: [{ ...key, bits: 2048.5 }] })],
    ['a kid that is too long', JSON.stringify({ name: 'acme', keys: [{ ...key, kid: 'k'.repeat(129) }] })],
  ])('refuses %s', (_label, text) => {
    expect(() => parseStoredRecord(text, 'acme')).toThrow(expect.objectContaining({ name: 'KeyStoreIntegrityError' }));
  });
});
