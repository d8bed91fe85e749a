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
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonObject {
    this.skipWhitespace();
    if (this.text[this.pos] !== '{') throw new StrictJsonError('not a JSON object');
    const value = this.parseObject(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw new StrictJsonError('unexpected data after the JSON object');
    return value;
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
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

  private parseNumber(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) throw new StrictJsonError(`invalid value at ${this.pos}`);
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) throw new StrictJsonError('number out of range');
    return value;
  }

  private parseString(): string {
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) throw new StrictJsonError('unterminated string');
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += this.text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) throw new StrictJsonError('control character in string');
      if (c === 0x5c) {
        out += this.text.slice(chunkStart, this.pos);
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
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
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') return items;
      if (c !== ',') throw new StrictJsonError('expected , or ] in array');
    }
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_DEPTH) throw new StrictJsonError('nested too deeply');
    this.pos++;
    // A null-prototype object: "__proto__" is an ordinary member, never the prototype.
    const result: JsonObject = Object.create(null) as JsonObject;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw new StrictJsonError('expected a member name');
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(result, key)) throw new StrictJsonError("duplicate member");
      this.skipWhitespace();
      if (this.text[this.pos++] !== ':') throw new StrictJsonError('expected : after a member name');
      result[key] = this.parseValue(depth);
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') return result;
      if (c !== ',') throw new StrictJsonError('expected , or } in object');
    }
  }
}

/** Parses a JSON object, refusing duplicate members, deep nesting and anything but an object. */
export function parseStrictJsonObject(text: string): JsonObject {
  return new Parser(text).parseDocument();
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 bytes (refusing invalid sequences and a byte order mark) and parses an object. */
export function parseStrictJsonBytes(bytes: Uint8Array): JsonObject {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new StrictJsonError('not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError('byte order mark');
  return parseStrictJsonObject(text);
}
