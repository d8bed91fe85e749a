import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url, decodeStrictBase64 } from '../../../lambdas/core/base64url.js';
import '../../helpers/property-seed.js';

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

  it('refuses stray trailing bits in the last character of a two-character remainder (its low four bits)', () => {
    expect(decodeCanonicalBase64url('QQ')?.toString()).toBe('A');
    expect(decodeCanonicalBase64url('QUJDQQ')?.toString()).toBe('ABCA');
    // 'R' = 010001, 'U' = 010100, 'Y' = 011000: each sets a different one of the four stray bits.
    for (const spelling of ['QR', 'QS', 'QU', 'QY', 'Q_', 'QUJDQR', 'QUJDQU']) expect(decodeCanonicalBase64url(spelling), spelling).toBeUndefined();
  });

  it('refuses stray trailing bits in the last character of a three-character remainder (its low two bits)', () => {
    expect(decodeCanonicalBase64url('QUI')?.toString()).toBe('AB');
    // 'E' = 000100 sets a bit that is stray in a two-character remainder but data in a three-character one.
    expect(decodeCanonicalBase64url('QUE')?.toString('hex')).toBe('4141');
    expect(decodeCanonicalBase64url('QUJDQUE')?.toString('hex')).toBe('4142434141');
    for (const spelling of ['QUJ', 'QUK', 'QUL', 'QU_', 'QUJDQUJ']) expect(decodeCanonicalBase64url(spelling), spelling).toBeUndefined();
  });

  it('refuses a length with a remainder of one (six bits cannot make a byte)', () => {
    for (const spelling of ['Q', 'A', 'QUJDQ', 'QUJDQUJDA']) expect(decodeCanonicalBase64url(spelling), spelling).toBeUndefined();
  });

  it('decodes the empty text and whole groups of four', () => {
    expect(decodeCanonicalBase64url('')).toEqual(Buffer.alloc(0));
    expect(decodeCanonicalBase64url('QUJD')?.toString()).toBe('ABC');
    expect(decodeCanonicalBase64url('AAAA')).toEqual(Buffer.from([0, 0, 0]));
  });

  it('uses the URL alphabet: - and _ are digits 62 and 63, + and / are refused', () => {
    expect(decodeCanonicalBase64url('-_8')).toEqual(Buffer.from([0xfb, 0xff]));
    expect(decodeCanonicalBase64url('____')).toEqual(Buffer.from([0xff, 0xff, 0xff]));
    for (const spelling of ['+_8', '-/8', '+/8', '////', '++++', 'QUJD+A', 'QUJD/w']) expect(decodeCanonicalBase64url(spelling), spelling).toBeUndefined();
  });

  it('refuses padding, whitespace and any character outside the alphabet, wherever it is', () => {
    const refused = ['QQ==', 'QUE=', 'QUJD====', '=QUJD', 'QU=JD', 'QUJD ', ' QUJD', 'QU JD', 'QUJD\n', 'QU\tJD', 'QUJ.', 'QUJé', 'QUJ😀', 'QUJ\u0000', 'QUJD!'];
    for (const spelling of refused) expect(decodeCanonicalBase64url(spelling), JSON.stringify(spelling)).toBeUndefined();
  });
});

describe('decodeStrictBase64 (PEM bodies and other standard base64)', () => {
  it('accepts one, two or no padding characters, where due', () => {
    expect(decodeStrictBase64('aGk=')?.toString()).toBe('hi');
    expect(decodeStrictBase64('aA==')?.toString()).toBe('h');
    expect(decodeStrictBase64('aGVs')?.toString()).toBe('hel');
    expect(decodeStrictBase64('+/8=')).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it('skips spaces, tabs, carriage returns and line feeds between characters, runs of them included', () => {
    expect(decodeStrictBase64('aG\nk=')?.toString()).toBe('hi');
    expect(decodeStrictBase64('a G\tV\rs\r\n')?.toString()).toBe('hel');
    expect(decodeStrictBase64(' \r\n\t aGVs \r\n\t aGk= \n')?.toString()).toBe('helhi');
  });

  it('refuses missing or misplaced padding, the URL alphabet, stray bits, other characters and empty text', () => {
    const refused = ['', ' \n', 'aGk', 'aA=', 'aA===', 'aGk==', '=aGk', 'aG=k', 'aGl=', 'aB==', 'aG-_', 'aGk.', 'aGk=\f', 'aGk=\v', 'aGk\u00a0=', '===='];
    for (const text of refused) expect(decodeStrictBase64(text), JSON.stringify(text)).toBeUndefined();
  });
});
