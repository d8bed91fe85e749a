import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url } from '../../../lambdas/core/base64url.js';

/** The definition: the text is the one spelling Node's encoder gives for the bytes it decodes to. */
function reference(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

const tricky = fc.constantFrom(...'AQgw-_+/= \n\t.é😀\u0000'.split(''), 'é', '😀');

describe('decodeCanonicalBase64url', () => {
  it('agrees with the re-encoding definition on random and mutated text', () => {
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 70 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 70 }), fc.nat(), tricky, fc.constantFrom('insert', 'replace', 'append')).map(([bytes, at, char, how]) => {
        const good = Buffer.from(bytes).toString('base64url');
        const i = at % good.length;
        return how === 'insert' ? good.slice(0, i) + char + good.slice(i) : how === 'replace' ? good.slice(0, i) + char + good.slice(i + 1) : good + char;
      }),
      fc.string({ unit: fc.constantFrom(...'AQgw-_+/= \n.é'.split('')), maxLength: 12 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(decodeCanonicalBase64url(t)?.toString('hex')).toEqual(reference(t)?.toString('hex'));
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses stray trailing bits in the last character', () => {
    expect(decodeCanonicalBase64url('QQ')?.toString()).toBe('A');
    expect(decodeCanonicalBase64url('QR')).toBeUndefined();
    expect(decodeCanonicalBase64url('QUI')?.toString()).toBe('AB');
    expect(decodeCanonicalBase64url('QUJ')).toBeUndefined();
  });
});
