import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url, decodeStrictBase64 } from '../../../lambdas/core/base64url.js';
import { parseStrictJsonBytes, parseStrictJsonObject, writtenAsIntegerLiteral } from '../../../lambdas/core/strict-json.js';

describe('parseStrictJsonObject', () => {
  it('parses what JSON.parse parses for objects', () => {
    const text = '{"a":1,"b":[true,false,null,-1.5e3,"x\\u00e9\\n"],"c":{"d":{}}, "e" : [] }';
    expect(parseStrictJsonObject(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['duplicate members', '{"a":1,"a":2}'],
    ['duplicate members after escapes', '{"a":1,"\\u0061":2}'],
    ['a top-level array', '[1]'],
    ['a top-level string', '"x"'],
    ['trailing commas', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['leading zeros', '{"a":01}'],
    ['NaN', '{"a":NaN}'],
    ['a raw control character', '{"a":"\u0001"}'],
    ['trailing data', '{"a":1} {}'],
    ['deep nesting', `{"a":${'['.repeat(20)}${']'.repeat(20)}}`],
    ['an unterminated string', '{"a":"x}'],
  ])('refuses %s', (_label, text) => {
    expect(() => parseStrictJsonObject(text)).toThrow();
  });

  it('notes top-level numbers written with a fraction or exponent (the contract wants integers for iat, exp, nbf)', () => {
    const parsed = parseStrictJsonObject('{"iat":17.0,"exp":1e3,"nbf":5,"x":{"iat":2.0}}');
    expect(parsed).toEqual({ iat: 17, exp: 1000, nbf: 5, x: { iat: 2 } });
    expect(['iat', 'exp', 'nbf'].map((name) => writtenAsIntegerLiteral(parsed, name))).toEqual([false, false, true]);
    expect(Object.keys(parsed)).toEqual(['iat', 'exp', 'nbf', 'x']);
  });

  it('keeps "__proto__" as an ordinary member', () => {
    const parsed = parseStrictJsonObject('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['__proto__']);
  });
});

describe('parseStrictJsonBytes', () => {
  it('reads numbers as Number() does, integers by hand included', () => {
    const text = '{"a":0,"b":-0,"c":1790000000,"d":999999999999999,"e":9007199254740993,"f":-12,"g":1.5,"h":-2e2}';
    const parsed = parseStrictJsonBytes(Buffer.from(text));
    expect(parsed).toEqual(JSON.parse(text));
    expect(Object.is(parsed['b'], -0)).toBe(true);
    expect(parsed['e']).toBe(Number('9007199254740993'));
  });

  it('decodes non-ASCII strings as UTF-8, not latin1', () => {
    expect(parseStrictJsonBytes(Buffer.from('{"sub":"ces:customer:é✓😀"}', 'utf8'))).toEqual({ sub: 'ces:customer:é✓😀' });
  });

  it.each([
    ['invalid UTF-8 in a string', Buffer.from([...Buffer.from('{"a":"'), 0xc3, 0x28, ...Buffer.from('"}')]), 'not valid UTF-8'],
    ['a lone continuation byte outside a string', Buffer.from([...Buffer.from('{"a":1'), 0x80, ...Buffer.from('}')]), 'not valid UTF-8'],
    ['a byte order mark', Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]), 'byte order mark'],
    ['non-ASCII outside a string', Buffer.from('{"a":1é}', 'utf8'), 'expected , or } in object'],
  ])('refuses %s with the strict UTF-8 message', (_label, bytes, message) => {
    expect(() => parseStrictJsonBytes(bytes)).toThrow(message);
  });
});

describe('base64 decoding', () => {
  it('canonical base64url round-trips and refuses every other spelling', () => {
    expect(decodeCanonicalBase64url('aGk')?.toString()).toBe('hi');
    for (const bad of ['aGk=', 'aG k', 'aGl', 'a', 'a+/b', 'aGk\n']) expect(decodeCanonicalBase64url(bad)).toBeUndefined();
  });

  it('strict base64 requires padding and the standard alphabet, allowing line breaks', () => {
    expect(decodeStrictBase64('aGk=')?.toString()).toBe('hi');
    expect(decodeStrictBase64('aG\nk=')?.toString()).toBe('hi');
    for (const bad of ['aGk', 'aGl=', 'aG-_', '', '====']) expect(decodeStrictBase64(bad)).toBeUndefined();
  });
});
