import { describe, expect, it } from 'vitest';
import { parseStrictJsonBytes, parseStrictJsonObject, StrictJsonError, writtenAsIntegerLiteral } from '../../../lambdas/core/strict-json.js';

/** The parser's message for a refused text (the compact JWS decoder passes it on as the denial's detail). */
function refusal(text: string): string {
  try {
    parseStrictJsonObject(text);
  } catch (error) {
    expect(error).toBeInstanceOf(StrictJsonError);
    expect((error as Error).name).toBe('StrictJsonError');
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

/** The value of member "a" in `{"a":<json>}`. */
const valueOf = (json: string) => parseStrictJsonObject(`{"a":${json}}`)['a'];

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

describe('parseStrictJsonObject: strings and escapes', () => {
  it.each([
    ['\\"', '"'],
    ['\\\\', '\\'],
    ['\\/', '/'],
    ['\\b', '\b'],
    ['\\f', '\f'],
    ['\\n', '\n'],
    ['\\r', '\r'],
    ['\\t', '\t'],
  ])('decodes the escape %s', (escape, decoded) => {
    expect(valueOf(`"${escape}"`)).toBe(decoded);
    expect(valueOf(`"x${escape}y${escape}"`)).toBe(`x${decoded}y${decoded}`);
  });

  it('keeps spaces in strings that also hold escapes', () => {
    expect(valueOf('"a b\\n c"')).toBe('a b\n c');
  });

  it('keeps the text before, between and after escapes', () => {
    expect(valueOf('"ab\\ncd\\tef\\u0041gh"')).toBe('ab\ncd\tefAgh');
    expect(valueOf('"\\\\\\"\\/"')).toBe('\\"/');
    expect(valueOf('""')).toBe('');
    expect(valueOf('"plain text, spaces and ~ included"')).toBe('plain text, spaces and ~ included');
  });

  it('decodes \\u escapes in either case, surrogate pairs into one character, and keeps lone surrogates as they are', () => {
    expect(valueOf('"\\u00e9\\u00E9\\u0000\\uFFFF\\uabcd\\u09AF"')).toBe('\u00e9\u00e9\u0000\uffff\uabcd\u09af');
    expect(valueOf('"\\ud83d\\ude00"')).toBe('😀');
    expect(valueOf('"\\uD83D\\uDE00x"')).toBe('😀x');
    expect(valueOf('"\\ud800"')).toBe('\ud800');
    expect(valueOf('"\\udc00\\ud800"')).toBe('\udc00\ud800');
  });

  it.each([
    ['three hex digits', '{"a":"\\u123"}'],
    ['a non-hex digit', '{"a":"\\u12G4"}'],
    ['a sign', '{"a":"\\u+123"}'],
    ['a space', '{"a":"\\u 123"}'],
    ['\\u at the end of the text', '{"a":"\\u'],
    ['two hex digits at the end of the text', '{"a":"\\u12'],
  ])('refuses a unicode escape with %s', (_label, text) => {
    expect(refusal(text)).toBe('invalid unicode escape');
  });

  it.each(['\\a', '\\x41', "\\'", '\\0', '\\v', '\\ ', '\\e', '\\U0041', '\\\n'])('refuses the escape %s', (escape) => {
    expect(refusal(`{"a":"${escape}"}`)).toBe('invalid escape');
  });

  it('refuses a backslash at the end of the text', () => {
    expect(refusal('{"a":"abc\\')).toBe('invalid escape');
  });

  it('refuses raw control characters U+0000 to U+001F and accepts U+0020 and above, U+007F included', () => {
    for (let code = 0; code < 0x20; code++) expect(refusal(`{"a":"x${String.fromCharCode(code)}"}`)).toBe('control character in string');
    expect(valueOf('" \u007f\u0080\u2028"')).toBe(' \u007f\u0080\u2028');
  });

  it('refuses an unterminated string, in a value or a member name', () => {
    expect(refusal('{"a":"x}')).toBe('unterminated string');
    expect(refusal('{"a')).toBe('unterminated string');
    expect(refusal('{"a":"x\\"}')).toBe('unterminated string');
  });
});

describe('parseStrictJsonObject: numbers', () => {
  it.each([
    ['0', 0],
    ['-0', -0],
    ['7', 7],
    ['9', 9],
    ['10', 10],
    ['-19', -19],
    ['1234567890', 1234567890],
    ['0.5', 0.5],
    ['-0.09', -0.09],
    ['10.90', 10.9],
    ['1.25e2', 125],
    ['1e5', 100000],
    ['1E5', 100000],
    ['1e+2', 100],
    ['1E+2', 100],
    ['1e-5', 0.00001],
    ['-1E-05', -0.00001],
    ['9e09', 9e9],
    ['0e0', 0],
    ['1.7976931348623157e308', Number.MAX_VALUE],
    ['5e-324', 5e-324],
    ['1e-400', 0],
  ])('reads %s', (json, value) => {
    expect(Object.is(valueOf(json), value)).toBe(true);
    expect(parseStrictJsonObject(`{"a":[${json},${json}]}`)['a']).toEqual([value, value]);
  });

  it.each([
    ['a lone minus', '-', 'invalid value at 5'],
    ['a minus before a letter', '-a', 'invalid value at 5'],
    ['a plus sign', '+1', 'invalid value at 5'],
    ['a leading dot', '.5', 'invalid value at 5'],
    ['NaN', 'NaN', 'invalid value at 5'],
    ['Infinity', 'Infinity', 'invalid value at 5'],
    ['-Infinity', '-Infinity', 'invalid value at 5'],
    ['a leading zero', '01', 'expected , or } in object'],
    ['a negative leading zero', '-01', 'expected , or } in object'],
    ['hexadecimal', '0x10', 'expected , or } in object'],
    ['a trailing dot', '1.', 'expected , or } in object'],
    ['a dot before the exponent', '1.e5', 'expected , or } in object'],
    ['an exponent without digits', '1e', 'expected , or } in object'],
    ['an exponent with a sign and no digits', '1e+', 'expected , or } in object'],
    ['an exponent with a minus and no digits', '1E-', 'expected , or } in object'],
    ['two exponent letters', '1ee5', 'expected , or } in object'],
    ['two dots', '1.2.3', 'expected , or } in object'],
    ['a fraction on a fraction', '0.5.5', 'expected , or } in object'],
    ['an underscore separator', '1_000', 'expected , or } in object'],
    ['an overflow to infinity', '1e400', 'number out of range'],
    ['a negative overflow', '-1e400', 'number out of range'],
    ['a long integer overflowing', '9'.repeat(400), 'number out of range'],
  ])('refuses %s', (_label, json, message) => {
    expect(refusal(`{"a":${json}}`)).toBe(message);
  });

  it('reports where an invalid value starts', () => {
    expect(refusal('{"a": x}')).toBe('invalid value at 6');
    expect(refusal('{"a":[1,-]}')).toBe('invalid value at 8');
    expect(refusal('{"a":1,"b":}')).toBe('invalid value at 11');
  });
});

describe('parseStrictJsonObject: literals', () => {
  it('reads true, false and null and carries on after them', () => {
    expect(parseStrictJsonObject('{"t":true,"f":false,"n":null,"a":[true,false,null],"x":1}')).toEqual({ t: true, f: false, n: null, a: [true, false, null], x: 1 });
  });

  it.each([
    ['tru', 'invalid literal at 5'],
    ['True', 'invalid value at 5'],
    ['fals', 'invalid literal at 5'],
    ['nul', 'invalid literal at 5'],
    ['nil', 'invalid literal at 5'],
    ['undefined', 'invalid value at 5'],
    ['truex', 'expected , or } in object'],
  ])('refuses %s', (json, message) => {
    expect(refusal(`{"a":${json}}`)).toBe(message);
  });
});

describe('parseStrictJsonObject: structure', () => {
  it('accepts space, tab, line feed and carriage return wherever whitespace may go', () => {
    for (const ws of [' ', '\t', '\n', '\r', ' \t\r\n ']) {
      const text = `${ws}{${ws}"a"${ws}:${ws}[${ws}1${ws},${ws}{${ws}}${ws},${ws}[${ws}]${ws}]${ws},${ws}"b"${ws}:${ws}true${ws}}${ws}`;
      expect(parseStrictJsonObject(text), JSON.stringify(text)).toEqual({ a: [1, {}, []], b: true });
    }
  });

  it.each([
    ['form feed', '\f'],
    ['vertical tab', '\v'],
    ['no-break space', '\u00a0'],
    ['line separator', '\u2028'],
    ['byte order mark', '\ufeff'],
    ['NUL', '\u0000'],
  ])('refuses a %s as whitespace', (_label, ws) => {
    expect(() => parseStrictJsonObject(`{"a":${ws}1}`)).toThrow(StrictJsonError);
    expect(() => parseStrictJsonObject(`{"a":1${ws}}`)).toThrow(StrictJsonError);
    expect(refusal(`${ws}{"a":1}`)).toBe('not a JSON object');
    expect(refusal(`{"a":1}${ws}`)).toBe('unexpected data after the JSON object');
  });

  it.each([
    ['an empty text', ''],
    ['whitespace only', ' \n'],
    ['a top-level array', '[{}]'],
    ['a top-level number', '1'],
    ['a top-level literal', 'null'],
    ['a top-level string', '"{}"'],
  ])('refuses %s as not an object', (_label, text) => {
    expect(refusal(text)).toBe('not a JSON object');
  });

  it.each([
    ['a second object', '{"a":1}{"b":2}'],
    ['a second object after a space', '{} {}'],
    ['a comma', '{"a":1},'],
    ['a letter', '{}x'],
    ['a closing brace', '{}}'],
  ])('refuses %s after the object', (_label, text) => {
    expect(refusal(text)).toBe('unexpected data after the JSON object');
  });

  it.each([
    ['a semicolon between members', '{"a":1;"b":2}', 'expected , or } in object'],
    ['no separator between members', '{"a":1 "b":2}', 'expected , or } in object'],
    ['a trailing comma', '{"a":1,}', 'expected a member name'],
    ['a leading comma', '{,"a":1}', 'expected a member name'],
    ['two commas', '{"a":1,,"b":2}', 'expected a member name'],
    ['an unquoted name', '{a:1}', 'expected a member name'],
    ['a single-quoted name', "{'a':1}", 'expected a member name'],
    ['a number as a name', '{1:1}', 'expected a member name'],
    ['an equals sign instead of a colon', '{"a"=1}', 'expected : after a member name'],
    ['a missing colon', '{"a" 1}', 'expected : after a member name'],
    ['two colons', '{"a"::1}', 'invalid value at 5'],
    ['a name without a value', '{"a"}', 'expected : after a member name'],
    ['an unclosed object', '{"a":1', 'expected , or } in object'],
    ['an unclosed empty object', '{', 'expected a member name'],
    ['a semicolon in an array', '{"a":[1;2]}', 'expected , or ] in array'],
    ['no separator in an array', '{"a":[1 2]}', 'expected , or ] in array'],
    ['a colon in an array', '{"a":[1:2]}', 'expected , or ] in array'],
    ['a trailing comma in an array', '{"a":[1,]}', 'invalid value at 8'],
    ['a leading comma in an array', '{"a":[,1]}', 'invalid value at 6'],
    ['an unclosed array', '{"a":[1', 'expected , or ] in array'],
    ['an array closed by a brace', '{"a":[1}', 'expected , or ] in array'],
    ['an object closed by a bracket', '{"a":1]', 'expected , or } in object'],
  ])('refuses %s', (_label, text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('reads nested values and keeps member order', () => {
    const text = '{"z":{"y":[[],[{}],{"x":[1,[2,[3]]]}]},"a":"b","m":[{"n":null}]}';
    const parsed = parseStrictJsonObject(text);
    expect(parsed).toEqual(JSON.parse(text));
    expect(Object.keys(parsed)).toEqual(['z', 'a', 'm']);
  });
});

describe('parseStrictJsonObject: duplicate members', () => {
  it.each([
    ['the same value', '{"a":1,"a":1}'],
    ['a null first', '{"a":null,"a":1}'],
    ['false first', '{"a":false,"a":true}'],
    ['zero first', '{"a":0,"a":1}'],
    ['an empty string first', '{"a":"","a":"x"}'],
    ['an empty object first', '{"a":{},"a":{}}'],
    ['members between', '{"a":1,"b":2,"c":3,"a":4}'],
    ['the same name in another spelling', '{"sub":1,"\\u0073ub":2}'],
    ['an escaped slash', '{"a/b":1,"a\\/b":2}'],
    ['a nested object', '{"x":{"a":1,"a":2}}'],
    ['an object in an array', '{"x":[{"a":1,"a":2}]}'],
    ['an empty name', '{"":1,"":2}'],
  ])('refuses duplicates with %s', (_label, text) => {
    expect(refusal(text)).toBe('duplicate member');
  });

  it.each(['alg', 'typ', 'kid', 'sub', 'iat', 'exp', 'nbf', 'jti', 'crit', '__proto__'])('refuses a duplicate %s', (name) => {
    expect(refusal(`{"${name}":1,"${name}":2}`)).toBe('duplicate member');
  });

  it('reads every member name as written, the token claim names and the empty name included', () => {
    const names = ['alg', 'typ', 'kid', 'sub', 'iat', 'exp', 'nbf', 'jti', '', 'Alg', 'alg ', 'x'];
    const parsed = parseStrictJsonObject(`{${names.map((name, i) => `"${name}":${i}`).join(',')}}`);
    expect(Object.entries(parsed)).toEqual(names.map((name, i) => [name, i]));
    expect(parseStrictJsonObject('{"":"empty"}')).toEqual({ '': 'empty' });
  });

  it('reads three-character names outside ASCII as written, never as a claim name they share bits with', () => {
    // U+6C67 and U+7870 overlap 'lg' and 'xp' in a 24-bit name code: read as "alg" and "exp", they
    // would make the parser disagree with every other one about which members a token has.
    expect(Object.keys(parseStrictJsonObject('{"al\u6c67":1,"ex\u7870":2}'))).toEqual(['al\u6c67', 'ex\u7870']);
    expect(parseStrictJsonObject('{"alg":"none","al\u6c67":"RS512"}')).toEqual({ alg: 'none', 'al\u6c67': 'RS512' });
  });

  it('reads a name by its own characters, whatever comes before its opening quote', () => {
    expect(Object.keys(parseStrictJsonObject('{"x":null,"aZg":1}'))).toEqual(['x', 'aZg']);
    expect(Object.keys(parseStrictJsonObject('{"x":"g","alZ":1}'))).toEqual(['x', 'alZ']);
  });

  it('refuses a three-character name of raw control characters', () => {
    expect(refusal('{"\u0000\u0000\u0000":1}')).toBe('control character in string');
  });

  it('treats names that Object.prototype has as ordinary members (no prototype)', () => {
    const parsed = parseStrictJsonObject('{"toString":1,"constructor":2,"hasOwnProperty":3,"valueOf":4}');
    expect(Object.entries(parsed)).toEqual([['toString', 1], ['constructor', 2], ['hasOwnProperty', 3], ['valueOf', 4]]);
    expect(Object.getPrototypeOf(parseStrictJsonObject('{}'))).toBeNull();
  });

  it('allows the same name in different objects', () => {
    expect(parseStrictJsonObject('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toEqual({ a: { a: { a: 1 } }, b: [{ a: 1 }, { a: 2 }] });
  });
});

describe('parseStrictJsonObject: nesting is bounded at 16 levels below the top-level object', () => {
  const arrays = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;
  const objects = (levels: number) => `{${'"a":{'.repeat(levels)}${'}'.repeat(levels)}}`;
  const mixed = (levels: number) => `{"a":${'[{"b":'.repeat(levels / 2)}1${'}]'.repeat(levels / 2)}}`;

  it('accepts exactly 16 levels', () => {
    expect(() => parseStrictJsonObject(arrays(16))).not.toThrow();
    expect(() => parseStrictJsonObject(objects(16))).not.toThrow();
    expect(() => parseStrictJsonObject(mixed(16))).not.toThrow();
    expect(JSON.stringify(parseStrictJsonObject(arrays(16)))).toBe(arrays(16));
  });

  it('refuses 17 levels, and far deeper ones without exhausting the stack', () => {
    for (const text of [arrays(17), objects(17), mixed(18), arrays(100_000), objects(100_000)]) expect(refusal(text)).toBe('nested too deeply');
  });

  it('counts levels, not values: many siblings at one level are fine', () => {
    const wide = `{"a":[${Array.from({ length: 1000 }, () => '[[]]').join(',')}]}`;
    expect((parseStrictJsonObject(wide)['a'] as unknown[]).length).toBe(1000);
  });
});

describe('writtenAsIntegerLiteral', () => {
  it('judges each top-level number by its own spelling', () => {
    const parsed = parseStrictJsonObject('{"a":1.5,"iat":5,"b":2e0,"exp":6,"c":1E+1,"nbf":7,"d":-0.0}');
    expect(['a', 'iat', 'b', 'exp', 'c', 'nbf', 'd'].map((name) => writtenAsIntegerLiteral(parsed, name))).toEqual([false, true, false, true, false, true, false]);
  });

  it('does not count an exponent letter that is not part of the number', () => {
    expect(refusal('{"iat":1e}')).toBe('expected , or } in object');
    expect(writtenAsIntegerLiteral(parseStrictJsonObject('{"iat":10}'), 'iat')).toBe(true);
  });

  it('notes top-level members only; nested numbers leave their object unmarked', () => {
    const parsed = parseStrictJsonObject('{"x":{"iat":2.0,"exp":3e0},"y":[1.5]}');
    expect(writtenAsIntegerLiteral(parsed['x'] as never, 'iat')).toBe(true);
    expect(writtenAsIntegerLiteral(parsed['x'] as never, 'exp')).toBe(true);
  });

  it('keeps the note out of the members: copies, keys and JSON output', () => {
    const parsed = parseStrictJsonObject('{"iat":1.0}');
    expect(Object.keys(parsed)).toEqual(['iat']);
    expect(JSON.stringify(parsed)).toBe('{"iat":1}');
    expect({ ...parsed }).toEqual({ iat: 1 });
  });
});

describe('parseStrictJsonBytes', () => {
  it('reads an ASCII Uint8Array that is a view into a larger buffer (not a Node Buffer)', () => {
    const all = new TextEncoder().encode('xx{"a":1}yy');
    const view = all.subarray(2, 9);
    expect(Buffer.isBuffer(view)).toBe(false);
    expect(parseStrictJsonBytes(view)).toEqual({ a: 1 });
    expect(parseStrictJsonBytes(new Uint8Array(Buffer.from('{"b":[true]}')))).toEqual({ b: [true] });
  });

  it('reads a Buffer that is a slice of a larger one', () => {
    expect(parseStrictJsonBytes(Buffer.from('xx{"a":"z"}yy').subarray(2, 11))).toEqual({ a: 'z' });
  });

  it('refuses a byte order mark only at the very start: elsewhere it is not whitespace', () => {
    expect(() => parseStrictJsonBytes(Buffer.from('\ufeff{"a":"é"}', 'utf8'))).toThrow('byte order mark');
    expect(() => parseStrictJsonBytes(Buffer.from(' \ufeff{}', 'utf8'))).toThrow('not a JSON object');
    expect(parseStrictJsonBytes(Buffer.from('{"a":"\ufeff"}', 'utf8'))).toEqual({ a: '\ufeff' });
  });

  it('parses only the first `length` bytes when given a length (the verify path reuses one buffer)', () => {
    expect(parseStrictJsonBytes(Buffer.from('{"a":1}{"b":2}'), 7)).toEqual({ a: 1 });
    expect(parseStrictJsonBytes(Buffer.from('{"a":1}\u00e9\u00e9'), 7)).toEqual({ a: 1 });
    expect(parseStrictJsonBytes(Buffer.from('{"a":"\u00e9"}\u00ff\u00ff'), 10)).toEqual({ a: '\u00e9' });
    expect(parseStrictJsonBytes(new TextEncoder().encode('xx{"a":[]}{"b":0}').subarray(2), 8)).toEqual({ a: [] });
    expect(() => parseStrictJsonBytes(Buffer.from('{"a":1}{"b":2}'), 6)).toThrow('expected , or } in object');
    expect(() => parseStrictJsonBytes(Buffer.from('{"a":1}'), 0)).toThrow('not a JSON object');
  });

  it('decodes text that starts with non-ASCII bytes as UTF-8', () => {
    expect(() => parseStrictJsonBytes(Buffer.from([0xff, 0xfe]))).toThrow('not valid UTF-8');
    expect(() => parseStrictJsonBytes(Buffer.from([0xef, 0xbb, 0xbf]))).toThrow('byte order mark');
  });

  it('refuses empty input', () => {
    expect(() => parseStrictJsonBytes(Buffer.alloc(0))).toThrow('not a JSON object');
  });

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
