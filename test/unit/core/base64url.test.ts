import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64urlDecodedLength, decodeCanonicalBase64url, decodeCanonicalBase64urlInto, decodeStrictBase64 } from '../../../lambdas/core/base64url.js';
import '../../helpers/property-seed.js';

/** The definition: the text is the one spelling Node's encoder gives for the bytes it decodes to. */
function reference(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

const tricky = fc.constantFrom(...'AQgw-_+/= \n\t.é😀\u0000'.split(''), 'é', '😀');

describe('decodeCanonicalBase64url', () => {
  it('agrees with the re-encoding definition on random and mutated text (both forms)', () => {
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
        const expected = reference(t);
        expect(decodeCanonicalBase64url(t)?.toString('hex')).toEqual(expected?.toString('hex'));
        const target = Buffer.alloc(64);
        const written = decodeCanonicalBase64urlInto(t, target);
        expect(written < 0 ? undefined : target.subarray(0, written).toString('hex')).toEqual(expected?.toString('hex'));
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

describe('base64urlDecodedLength', () => {
  it('gives three bytes per four characters, one for a remainder of two, two for three, and -1 for a remainder of one', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(base64urlDecodedLength)).toEqual([0, -1, 1, 2, 3, -1, 4, 5, 6]);
    expect([8192, 8193, 8194, 8195].map(base64urlDecodedLength)).toEqual([6144, -1, 6145, 6146]);
  });
});

describe('decodeCanonicalBase64urlInto', () => {
  it('writes the bytes from the start of the target and returns how many, leaving the rest alone', () => {
    const target = Buffer.alloc(8, 0xee);
    expect(decodeCanonicalBase64urlInto('QUJD', target)).toBe(3);
    expect(target).toEqual(Buffer.from([0x41, 0x42, 0x43, 0xee, 0xee, 0xee, 0xee, 0xee]));
    expect(decodeCanonicalBase64urlInto('QQ', target)).toBe(1);
    expect(target.subarray(0, 1).toString()).toBe('A');
    expect(decodeCanonicalBase64urlInto('', target)).toBe(0);
  });

  it('needs a target that holds every byte: exactly enough works, one byte short is refused', () => {
    expect(decodeCanonicalBase64urlInto('QUJDRA', Buffer.alloc(4))).toBe(4);
    expect(decodeCanonicalBase64urlInto('QUJDRA', Buffer.alloc(3))).toBe(-1);
    expect(decodeCanonicalBase64urlInto('QUJD', Buffer.alloc(2))).toBe(-1);
    expect(decodeCanonicalBase64urlInto('QQ', Buffer.alloc(0))).toBe(-1);
  });

  it('returns -1 for every spelling decodeCanonicalBase64url refuses', () => {
    for (const spelling of ['Q', 'QR', 'QUJ', 'QQ==', 'QU JD', '+/8', 'QUJé', 'QU=D', 'QUJD!']) {
      expect(decodeCanonicalBase64urlInto(spelling, Buffer.alloc(16)), JSON.stringify(spelling)).toBe(-1);
    }
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
