import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { verifyToken } from '../../../lambdas/core/verify-token.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey } from '../../helpers/keys.js';

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
  extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
});

describe('differential against jose jwtVerify (RS512 only)', () => {
  it('whatever the core accepts, jose accepts too; the core never throws', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })), async (c, mutations) => {
        const iat = NOW + c.iatOffset;
        const payload: Record<string, unknown> = { ...c.extra, sub: `ces:customer:${c.name}`, iat, exp: iat + c.ttl, jti: c.jti };
        if (c.nbfOffset !== null) payload['nbf'] = NOW + c.nbfOffset;
        let token = signRaw(pair, '{"alg":"RS512"}', JSON.stringify(payload));
        for (const m of mutations) token = mutate(token, m);
        const result = ours(token);
        if (result.ok) {
          accepted++;
          expect(await joseAccepts(token)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
    // The property only means something if the generator reaches accepted tokens often enough.
    expect(accepted).toBeGreaterThan(20);
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
      extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
    });
    let accepted = 0;
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
  });

  it('hand-built headers: alg, crit, kid and key hints', async () => {
    const header = fc.record(
      {
        alg: fc.constantFrom('RS512', 'RS256', 'HS512', 'none', 'PS512'),
        crit: fc.constant(['exp']),
        kid: fc.oneof(fc.constant(pair.kid), fc.string({ maxLength: 5 })),
        jwk: fc.constant(pair.jwk),
        typ: fc.constantFrom('JWT', 'at+jwt'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        const token = signRaw(pair, JSON.stringify(h), JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'x' }));
        const result = ours(token);
        if (result.ok) expect(await joseAccepts(token)).toBe(true);
      }),
      { numRuns: 200 },
    );
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
