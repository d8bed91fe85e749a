/**
 * A strict RFC 8259 JSON parser for token headers and payloads. JSON.parse keeps the last of
 * duplicate members, so two parsers could read different claims from one token; this one
 * refuses duplicates, bounds nesting, and only accepts an object at the top level.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

const MAX_DEPTH = 16;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

// Character codes. The parser compares codes rather than one-character strings and scans numbers by
// hand (no sticky regex, no match arrays): token headers and payloads are parsed on every request.
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** A three-letter member name as one number, so that it can be matched without building a string. */
function nameCode(a: number, b: number, c: number): number {
  return (a << 16) | (b << 8) | c;
}
const codeOf = (name: string): number => nameCode(name.charCodeAt(0), name.charCodeAt(1), name.charCodeAt(2));
const ALG = codeOf('alg');
const TYP = codeOf('typ');
const KID = codeOf('kid');
const SUB = codeOf('sub');
const IAT = codeOf('iat');
const EXP = codeOf('exp');
const NBF = codeOf('nbf');
const JTI = codeOf('jti');

/**
 * The member names every token carries, found by their character codes and returned as string
 * constants: no string is sliced, and a constant is already internalized, so the duplicate check
 * and the store skip hashing a fresh string (profiled: they were the parser's costliest lines).
 */
function knownMemberName(code: number): string | undefined {
  switch (code) {
    case ALG:
      return 'alg';
    case TYP:
      return 'typ';
    case KID:
      return 'kid';
    case SUB:
      return 'sub';
    case IAT:
      return 'iat';
    case EXP:
      return 'exp';
    case NBF:
      return 'nbf';
    case JTI:
      return 'jti';
    default:
      return undefined;
  }
}

/** Top-level members whose number was written with a fraction or an exponent (`1700000000.0`, `17e8`). */
const NON_INTEGER_LITERALS = Symbol('keygate.nonIntegerLiterals');
type WithLiteralNotes = JsonObject & { [NON_INTEGER_LITERALS]?: Set<string> };

/**
 * Whether a top-level number member of an object from this parser was written as a plain integer.
 * The token contract wants integers for iat, exp and nbf: `1700000000.0` has a whole value but is
 * not written as one.
 */
export function writtenAsIntegerLiteral(object: JsonObject, name: string): boolean {
  return !(object as WithLiteralNotes)[NON_INTEGER_LITERALS]?.has(name);
}

class Parser {
  private pos = 0;
  private lastNumberIsIntegerLiteral = true;
  constructor(private readonly text: string) {}

  parseDocument(): JsonObject {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== OPEN_BRACE) throw new StrictJsonError('not a JSON object');
    const value = this.parseObject(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw new StrictJsonError('unexpected data after the JSON object');
    return value;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
    this.pos = pos;
  }

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    switch (this.text.charCodeAt(this.pos)) {
      case OPEN_BRACE:
        return this.parseObject(depth + 1);
      case OPEN_BRACKET:
        return this.parseArray(depth + 1);
      case QUOTE:
        return this.parseString();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        return this.parseNumber();
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw new StrictJsonError(`invalid literal at ${this.pos}`);
    this.pos += word.length;
    return value;
  }

  /** The RFC 8259 number grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, longest match from here. */
  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === DIGIT_0) {
      i++;
    } else if (first >= DIGIT_1 && first <= DIGIT_9) {
      i++;
      while (isDigit(text.charCodeAt(i))) i++;
    } else {
      throw new StrictJsonError(`invalid value at ${start}`);
    }
    this.lastNumberIsIntegerLiteral = true;
    if (text.charCodeAt(i) === DOT && isDigit(text.charCodeAt(i + 1))) {
      this.lastNumberIsIntegerLiteral = false;
      i += 2;
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      let j = i + 1;
      const sign = text.charCodeAt(j);
      if (sign === PLUS || sign === MINUS) j++;
      if (isDigit(text.charCodeAt(j))) {
        j++;
        while (isDigit(text.charCodeAt(j))) j++;
        i = j;
        this.lastNumberIsIntegerLiteral = false;
      }
    }
    this.pos = i;
    const value = Number(text.slice(start, i));
    if (!Number.isFinite(value)) throw new StrictJsonError('number out of range');
    return value;
  }

  /** A member name; `this.pos` is at its opening quote. */
  private parseMemberName(): string {
    const text = this.text;
    const pos = this.pos;
    // Three letters between quotes: letters are never part of an escape, so the name is exactly them.
    // Only ASCII: nameCode packs 8 bits a character, so a wider one (U+6C67 in "al\u6c67") would alias "alg".
    if (text.charCodeAt(pos + 4) === QUOTE) {
      const a = text.charCodeAt(pos + 1);
      const b = text.charCodeAt(pos + 2);
      const c = text.charCodeAt(pos + 3);
      const known = (a | b | c) < 0x80 ? knownMemberName(nameCode(a, b, c)) : undefined;
      if (known !== undefined) {
        this.pos = pos + 5;
        return known;
      }
    }
    return this.parseString();
  }

  private parseString(): string {
    const text = this.text;
    const start = ++this.pos; // past the opening quote
    // The common case, a string without escapes, is one slice.
    for (let pos = start; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c < 0x20 || c === BACKSLASH) break;
    }
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= text.length) throw new StrictJsonError('unterminated string');
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) {
        out += text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw new StrictJsonError('control character in string');
      if (c === BACKSLASH) {
        out += text.slice(chunkStart, this.pos);
        const e = text[this.pos + 1];
        if (e === 'u') {
          const hex = text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new StrictJsonError('invalid unicode escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else {
          const replacement = e === undefined ? undefined : ESCAPES[e];
          if (replacement === undefined) throw new StrictJsonError('invalid escape');
          out += replacement;
          this.pos += 2;
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) throw new StrictJsonError('nested too deeply');
    this.pos++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === CLOSE_BRACKET) return items;
      if (c !== COMMA) throw new StrictJsonError('expected , or ] in array');
    }
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_DEPTH) throw new StrictJsonError('nested too deeply');
    this.pos++;
    // A null-prototype object: "__proto__" is an ordinary member, never the prototype.
    const result: JsonObject = Object.create(null) as JsonObject;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== QUOTE) throw new StrictJsonError('expected a member name');
      const key = this.parseMemberName();
      // No JSON value is undefined, and the object has no prototype: present <=> not undefined.
      if (result[key] !== undefined) throw new StrictJsonError('duplicate member');
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos++) !== COLON) throw new StrictJsonError('expected : after a member name');
      const value = this.parseValue(depth);
      result[key] = value;
      if (depth === 0 && typeof value === 'number' && !this.lastNumberIsIntegerLiteral) {
        let notes = (result as WithLiteralNotes)[NON_INTEGER_LITERALS];
        if (!notes) {
          notes = new Set();
          // Not enumerable: the note stays out of copies, comparisons and JSON output.
          Object.defineProperty(result, NON_INTEGER_LITERALS, { value: notes });
        }
        notes.add(key);
      }
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === CLOSE_BRACE) return result;
      if (c !== COMMA) throw new StrictJsonError('expected , or } in object');
    }
  }
}

/** Parses a JSON object, refusing duplicate members, deep nesting and anything but an object. */
export function parseStrictJsonObject(text: string): JsonObject {
  return new Parser(text).parseDocument();
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isAsciiPrefix(bytes: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

/**
 * Decodes the first `length` UTF-8 bytes (refusing invalid sequences and a byte order mark) and
 * parses an object. `length` lets the verify path parse from the buffer it decodes every token into.
 */
export function parseStrictJsonBytes(bytes: Uint8Array, length: number = bytes.length): JsonObject {
  let text: string;
  if (isAsciiPrefix(bytes, length)) {
    // The common case. ASCII is valid UTF-8 and cannot hold a byte order mark, so latin1 decoding
    // gives exactly the text the strict UTF-8 decoder would, without its cost.
    text = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('latin1', 0, length);
  } else {
    try {
      text = UTF8.decode(bytes.subarray(0, length));
    } catch {
      throw new StrictJsonError('not valid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError('byte order mark');
  return parseStrictJsonObject(text);
}
