import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseStrictJsonObject } from '../../../lambdas/core/strict-json.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { verifyToken } from '../../../lambdas/core/verify-token.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey } from '../../helpers/keys.js';
import '../../helpers/property-seed.js';

const NOW = 1_790_000_000;
const pair = rsaKeyPair(2048);
const keys = [verificationKey(pair)];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';

function ours(token: string) {
  return verifyToken(token, { nowSeconds: NOW, rules: DEFAULT_TOKEN_RULES, keysFor: () => keys });
}

async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, pair.publicKey, { algorithms: ['RS512'], currentDate: new Date(NOW * 1000), clockTolerance: DEFAULT_TOKEN_RULES.clockSkewSeconds });
    return true;
  } catch {
    return false;
  }
}

/**
 * The token contract (DESIGN.md, "Token contract"), written out again from the text rather than
 * taken from the core: the other direction of the differential. A token that jose verifies and that
 * this says the contract allows must be accepted by the core.
 */
const CONTRACT = {
  maxTokenLength: 8192,
  keyName: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  maxJtiLength: 256,
  maxLifetime: DEFAULT_TOKEN_RULES.maxLifetimeSeconds,
  skew: DEFAULT_TOKEN_RULES.clockSkewSeconds,
  maxKidLength: 128,
} as const;
const CLAIM_NAMES = ['sub', 'iat', 'exp', 'nbf', 'jti'];

function isCanonicalBase64url(segment: string): boolean {
  return segment.length % 4 !== 1 && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** Three canonical segments, a non-empty signature, at most 8 KiB. */
function formatAllowed(token: string): boolean {
  const segments = token.split('.');
  return token.length <= CONTRACT.maxTokenLength && segments.length === 3 && segments.every(isCanonicalBase64url) && segments[2] !== '';
}

const epochSeconds = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
// Printable: no C0 control character or DEL, no unpaired surrogate (the jti reaches logs and the replay table).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unprintable = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The claim rules, for a payload whose numbers were written as integer literals when they are integers. */
function claimsAllowed(payload: Record<string, unknown>): boolean {
  const { sub, iat, exp, nbf, jti } = payload;
  if (typeof sub !== 'string' || !sub.startsWith('ces:customer:') || !CONTRACT.keyName.test(sub.slice('ces:customer:'.length))) return false;
  if (!epochSeconds(iat) || !epochSeconds(exp) || (nbf !== undefined && !epochSeconds(nbf))) return false;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > CONTRACT.maxJtiLength || unprintable.test(jti)) return false;
  return exp > iat && exp - iat <= CONTRACT.maxLifetime && exp > NOW - CONTRACT.skew && iat <= NOW + CONTRACT.skew && (nbf === undefined || nbf <= NOW + CONTRACT.skew);
}

/** The header rules: alg RS512, no crit, kid (if any) a string of 1 to 128 characters; anything else ignored. */
function headerAllowed(header: Record<string, unknown>): boolean {
  const kid = header['kid'];
  return header['alg'] === 'RS512' && !('crit' in header) && (kid === undefined || (typeof kid === 'string' && kid.length > 0 && kid.length <= CONTRACT.maxKidLength));
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...ALPHABET) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...ALPHABET) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(token: string, m: { kind: string; at: number; char?: string }): string {
  const at = token.length === 0 ? 0 : m.at % token.length;
  switch (m.kind) {
    case 'replace':
      return token.slice(0, at) + (m.char ?? '') + token.slice(at + 1);
    case 'insert':
      return token.slice(0, at) + (m.char ?? '') + token.slice(at);
    case 'delete':
      return token.slice(0, at) + token.slice(at + 1);
    default:
      return token.slice(0, at);
  }
}

const claimsArbitrary = fc.record({
  iatOffset: fc.integer({ min: -2000, max: 60 }),
  ttl: fc.integer({ min: -5, max: 1850 }),
  jti: fc.string({ minLength: 0, maxLength: 300 }),
  name: fc.oneof(fc.constant('acme'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,70}$/)),
  nbfOffset: fc.option(fc.integer({ min: -100, max: 100 })),
  extra: fc.dictionary(
    fc.string({ maxLength: 8 }).filter((name) => !CLAIM_NAMES.includes(name)),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 },
  ),
});

describe('differential against jose jwtVerify (RS512 only)', () => {
  it('whatever the core accepts, jose accepts too; what jose accepts and the contract allows, the core accepts; the core never throws', async () => {
    let accepted = 0;
    let allowedByBoth = 0;
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })), async (c, mutations) => {
        const iat = NOW + c.iatOffset;
        const payload: Record<string, unknown> = { ...c.extra, sub: `ces:customer:${c.name}`, iat, exp: iat + c.ttl, jti: c.jti };
        if (c.nbfOffset !== null) payload['nbf'] = NOW + c.nbfOffset;
        const signed = signRaw(pair, '{"alg":"RS512"}', JSON.stringify(payload));
        let token = signed;
        for (const m of mutations) token = mutate(token, m);
        const result = ours(token);
        const joseVerdict = await joseAccepts(token);
        if (result.ok) {
          accepted++;
          expect(joseVerdict).toBe(true);
        }
        // The other direction, where the oracle can judge: the header and payload segments are the
        // ones signed (plain JSON.stringify text), only the signature segment may have changed.
        const signedPrefix = signed.slice(0, signed.lastIndexOf('.') + 1);
        if (joseVerdict && token.startsWith(signedPrefix) && formatAllowed(token) && claimsAllowed(payload)) {
          allowedByBoth++;
          expect(result).toMatchObject({ ok: true, keyName: c.name, jti: c.jti, iat, exp: iat + c.ttl });
        }
      }),
      { numRuns: 400 },
    );
    // The properties only mean something if the generator reaches accepted tokens often enough.
    expect(accepted).toBeGreaterThan(20);
    expect(allowedByBoth).toBeGreaterThan(20);
  });

  it('JSON spelled many ways and then signed: whatever the core accepts, jose accepts with the same claims', async () => {
    const spelling = fc.record({
      space: fc.constantFrom('', ' ', '\t', '\n', '\r\n  '),
      escapeEveryCharacter: fc.boolean(),
      escapeSlash: fc.boolean(),
      integers: fc.constantFrom('plain', 'plain', 'fraction', 'exponent', 'leading-plus'),
      duplicate: fc.constantFrom(null, null, 'sub', 'jti', 'iat'),
      bom: fc.constantFrom(false, false, false, true),
      trailing: fc.constantFrom('', '', ' ', 'x', '{}'),
    });
    const content = fc.record({
      // Characters JSON can spell several ways appear often.
      jti: fc
        .array(fc.oneof(fc.string({ maxLength: 5, unit: 'grapheme' }), fc.constantFrom('/', '"', '\\', 'é', '😀', '\u2028')), { minLength: 1, maxLength: 8 })
        .map((parts) => parts.join(''))
        .filter((jti) => jti.length > 0),
      name: fc.constantFrom('acme', 'a.b-c_d', 'acme/x'),
      extra: fc.dictionary(
        fc.string({ maxLength: 6 }).filter((name) => !CLAIM_NAMES.includes(name)),
        fc.jsonValue({ maxDepth: 3 }),
        { maxKeys: 3 },
      ),
    });
    let accepted = 0;
    let allowedByBoth = 0;
    await fc.assert(
      fc.asyncProperty(content, spelling, async (c, sp) => {
        const text = (value: string) => {
          if (sp.escapeEveryCharacter) return `"${[...value].map((ch) => (ch.length === 1 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(ch).slice(1, -1))).join('')}"`;
          const json = JSON.stringify(value);
          return sp.escapeSlash ? json.replaceAll('/', '\\/') : json;
        };
        const integer = (n: number) => ({ plain: `${n}`, fraction: `${n}.0`, exponent: `${n}E0`, 'leading-plus': `+${n}` })[sp.integers];
        const members: [string, string][] = [
          ...Object.entries(c.extra).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]),
          ['sub', text(`ces:customer:${c.name}`)],
          ['iat', integer(NOW)],
          ['exp', integer(NOW + 300)],
          ['jti', text(c.jti)],
        ];
        if (sp.duplicate) members.push([sp.duplicate, sp.duplicate === 'iat' ? `${NOW - 1}` : text('ces:customer:other')]);
        const payloadJson = `${sp.bom ? '\ufeff' : ''}{${members.map(([k, v]) => `${sp.space}${text(k)}${sp.space}:${sp.space}${v}`).join(',')}${sp.space}}${sp.trailing}`;
        const token = signRaw(pair, '{"alg":"RS512"}', payloadJson);
        const result = ours(token);
        // The contract allows every spelling RFC 8259 allows except duplicate members, a byte order
        // mark and fractions or exponents in iat/exp; jose (JSON.parse) judges the rest.
        const spellingAllowed = sp.duplicate === null && sp.integers === 'plain' && !sp.bom;
        const claims = { sub: `ces:customer:${c.name}`, iat: NOW, exp: NOW + 300, jti: c.jti };
        if (spellingAllowed && claimsAllowed(claims) && (await joseAccepts(token))) {
          allowedByBoth++;
          expect(result).toMatchObject({ ok: true, keyName: c.name, jti: c.jti, iat: NOW, exp: NOW + 300 });
        }
        if (!result.ok) return;
        accepted++;
        const verified = await jwtVerify(token, pair.publicKey, { algorithms: ['RS512'], currentDate: new Date(NOW * 1000) });
        expect({ sub: verified.payload.sub, jti: verified.payload.jti, iat: verified.payload.iat, exp: verified.payload.exp }).toEqual({
          sub: `ces:customer:${result.keyName}`,
          jti: result.jti,
          iat: NOW,
          exp: result.exp,
        });
      }),
      { numRuns: 1000 },
    );
    // Most spellings are refused by design (fractions, duplicates, a BOM, trailing data): about
    // one in twenty is accepted, enough for the property to bite.
    expect(accepted).toBeGreaterThan(20);
    expect(allowedByBoth).toBe(accepted);
  });

  it('hand-built headers: alg, crit, kid and key hints, in both directions', async () => {
    let allowedByBoth = 0;
    // Each parameter absent about half the time (fast-check's optional keys are mostly present,
    // which would leave few headers without crit); undefined members are dropped by JSON.stringify.
    const sometimes = <T>(value: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), value);
    const header = fc.record({
      alg: sometimes(fc.constantFrom('RS512', 'RS512', 'RS256', 'HS512', 'none', 'PS512', 'rs512')),
      crit: sometimes(fc.constant(['exp'])),
      kid: sometimes(fc.oneof(fc.constant(pair.kid), fc.string({ maxLength: 5 }))),
      jwk: sometimes(fc.constant(pair.jwk)),
      typ: sometimes(fc.constantFrom('JWT', 'at+jwt')),
    });
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        const token = signRaw(pair, JSON.stringify(h), JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'x' }));
        const result = ours(token);
        const joseVerdict = await joseAccepts(token);
        if (result.ok) expect(joseVerdict).toBe(true);
        // A kid names one of the name's keys: only the right one can be accepted.
        if (joseVerdict && headerAllowed(JSON.parse(JSON.stringify(h)) as Record<string, unknown>) && (h.kid === undefined || h.kid === pair.kid)) {
          allowedByBoth++;
          expect(result).toMatchObject({ ok: true, kid: pair.kid });
        }
      }),
      { numRuns: 400 },
    );
    expect(allowedByBoth).toBeGreaterThan(10);
  });

  it('arbitrary strings never crash the core', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/)), (text) => {
        expect(() => ours(text)).not.toThrow();
        expect(ours(text).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('control: jose and the core agree on a well-formed token', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    expect(ours(token).ok).toBe(true);
    expect(await joseAccepts(token)).toBe(true);
  });
});

describe('differential: the strict JSON parser against JSON.parse', () => {
  type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
  const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 3 });
  const spelling = fc.record({
    before: whitespace,
    after: whitespace,
    escape: fc.constantFrom('none', 'unicode-lower', 'unicode-upper', 'short'),
    number: fc.constantFrom('plain', 'exponent', 'upper-exponent', 'signed-exponent', 'fraction'),
  });
  const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

  /** Another writer of JSON: each token surrounded by chosen whitespace, strings and numbers spelled several legal ways. */
  function spell(value: Json, sp: { before: string; after: string; escape: string; number: string }): string {
    const ws = (text: string) => `${sp.before}${text}${sp.after}`;
    if (typeof value === 'string') {
      const characters = [...value].map((ch) => {
        const code = ch.charCodeAt(0);
        if (sp.escape === 'short' && SHORT_ESCAPES[ch] !== undefined) return SHORT_ESCAPES[ch];
        if (sp.escape.startsWith('unicode') && ch.length === 1) {
          const hex = code.toString(16).padStart(4, '0');
          return `\\u${sp.escape === 'unicode-upper' ? hex.toUpperCase() : hex}`;
        }
        return JSON.stringify(ch).slice(1, -1);
      });
      return ws(`"${characters.join('')}"`);
    }
    if (typeof value === 'number') {
      const plain = JSON.stringify(value);
      const hasExponent = /e/i.test(plain);
      const spelled = hasExponent
        ? plain
        : { plain, exponent: `${plain}e0`, 'upper-exponent': `${plain}E0`, 'signed-exponent': `${plain}e-0`, fraction: plain.includes('.') ? `${plain}0` : `${plain}.0` }[sp.number];
      return ws(spelled ?? plain);
    }
    if (Array.isArray(value)) return ws(`[${value.map((item) => spell(item, sp)).join(',')}]`);
    if (value !== null && typeof value === 'object') {
      return ws(`{${Object.entries(value).map(([name, member]) => `${spell(name, sp)}:${spell(member, sp)}`).join(',')}}`);
    }
    return ws(JSON.stringify(value));
  }

  const documents = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 6 }), { maxKeys: 6 }) as fc.Arbitrary<Record<string, Json>>;

  it('accepts every spelling RFC 8259 allows of an object without duplicate members, nested at most 16 deep, with the value JSON.parse reads', () => {
    fc.assert(
      fc.property(documents, spelling, (document, sp) => {
        const text = spell(document, sp);
        expect(parseStrictJsonObject(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever it accepts after random edits, JSON.parse accepts with the same value', () => {
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'replace', 'delete'), char: fc.constantFrom(...' \t\n\r\f\v{}[]:,"\\/-+.0123456789eEtrufalsn;xu\u00a0\u2028\ufeff') });
    let accepted = 0;
    fc.assert(
      fc.property(documents, spelling, fc.array(edit, { minLength: 1, maxLength: 3 }), (document, sp, edits) => {
        let text = spell(document, sp);
        for (const e of edits) {
          const at = text.length === 0 ? 0 : e.at % text.length;
          text = e.kind === 'insert' ? text.slice(0, at) + e.char + text.slice(at) : e.kind === 'replace' ? text.slice(0, at) + e.char + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1);
        }
        let ours: unknown;
        try {
          ours = parseStrictJsonObject(text);
        } catch {
          return;
        }
        accepted++;
        expect(ours).toEqual(JSON.parse(text));
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
