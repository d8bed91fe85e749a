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
