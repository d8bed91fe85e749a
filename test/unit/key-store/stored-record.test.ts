import { describe, expect, it } from 'vitest';
import { parseStoredRecord, serializeRecord } from '../../../lambdas/key-store/stored-record.js';
import { storedKey } from '../../helpers/stored-keys.js';

const key = storedKey('a');
const valid = { name: 'acme', keys: [key] };
const PIN = Buffer.alloc(32, 3).toString('base64url');

describe('parseStoredRecord: the store is not trusted blindly', () => {
  it('reads back what keygate writes, with and without a binding', () => {
    expect(parseStoredRecord(serializeRecord(valid), 'acme')).toEqual(valid);
    expect(parseStoredRecord(serializeRecord({ ...valid, binding: 'subject' }), 'acme')).toEqual({ ...valid, binding: 'subject' });
  });

  it('reads back route permissions and certificate pins, and writes neither member when they are absent', () => {
    const access = { ...valid, routes: ['GET /orders/*', 'POST /orders'], certificatePins: [PIN] };
    expect(parseStoredRecord(serializeRecord(access), 'acme')).toEqual(access);
    expect(JSON.parse(serializeRecord(valid))).toEqual(valid);
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
    ['a route the API would refuse', JSON.stringify({ ...valid, routes: ['GET orders'] })],
    ['an empty route list', JSON.stringify({ ...valid, routes: [] })],
    ['routes out of order (not written by keygate)', JSON.stringify({ ...valid, routes: ['POST /b', 'GET /a'] })],
    ['routes that are not strings', JSON.stringify({ ...valid, routes: [1] })],
    ['routes that are not a list', JSON.stringify({ ...valid, routes: 'GET /a' })],
    ['a pin that is not one', JSON.stringify({ ...valid, certificatePins: ['x'] })],
    ['a repeated pin', JSON.stringify({ ...valid, certificatePins: [PIN, PIN] })],
  ])('refuses %s', (_label, text) => {
    expect(() => parseStoredRecord(text, 'acme')).toThrow(expect.objectContaining({ name: 'KeyStoreIntegrityError' }));
  });
});
