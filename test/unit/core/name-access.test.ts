import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeToken, type AuthorizationRules, type KeyLookup, type RequestFacts } from '../../../lambdas/core/authorization.js';
import { spkiPinOf, type ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import {
  isCertificatePin,
  isRouteAllowed,
  MAX_CERTIFICATE_PINS,
  MAX_ROUTE_LENGTH,
  MAX_ROUTES,
  nameAccessOf,
  parseCertificatePins,
  parseRoutePattern,
  parseRoutes,
  type RoutePattern,
} from '../../../lambdas/core/name-access.js';
import { bearerErrorOf, denyPolicy } from '../../../lambdas/core/policy.js';
import { publicDetailOf, toPublicReason } from '../../../lambdas/core/reasons.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { createSelfSignedCa, issueCertificate } from '../../../cli/pki/x509.js';
import { mintToken, rsaKeyPair, verificationKey } from '../../helpers/keys.js';

const PIN_A = Buffer.alloc(32, 1).toString('base64url');
const PIN_B = Buffer.alloc(32, 2).toString('base64url');

function patterns(...texts: string[]): RoutePattern[] {
  return texts.map((text) => {
    const pattern = parseRoutePattern(text);
    if (!pattern) throw new Error(`test pattern ${text} does not parse`);
    return pattern;
  });
}

describe('route patterns', () => {
  it.each([
    ['GET /orders/*', { method: 'GET', segments: ['orders', undefined] }],
    ['* /admin', { method: undefined, segments: ['admin'] }],
    ['DELETE /', { method: 'DELETE', segments: [] }],
    ['PATCH /a/*/c', { method: 'PATCH', segments: ['a', undefined, 'c'] }],
    ["GET /v1.2/~x_y-z/a:b@c!$&'()+,;=", { method: 'GET', segments: ['v1.2', '~x_y-z', "a:b@c!$&'()+,;="] }],
  ])('parses %s', (text, expected) => {
    expect(parseRoutePattern(text)).toEqual(expected);
  });

  it.each([
    ['no space', 'GET/orders'],
    ['two spaces', 'GET  /orders'],
    ['a trailing space', 'GET /orders '],
    ['a lowercase method', 'get /orders'],
    ['a method with a digit', 'GET2 /orders'],
    ['an empty method', ' /orders'],
    ['a method over 16 letters', `${'A'.repeat(17)} /orders`],
    ['a relative path', 'GET orders'],
    ['an empty path', 'GET '],
    ['an empty segment', 'GET /orders//1'],
    ['a trailing slash', 'GET /orders/'],
    ['a dot segment', 'GET /orders/./1'],
    ['a dot-dot segment', 'GET /orders/../admin'],
    ['a star inside a segment', 'GET /orders/1*'],
    ['a double star', 'GET /orders/**'],
    ['percent-encoding', 'GET /a%20b'],
    ['a query', 'GET /orders?id=1'],
    ['a space in the path', 'GET /a b'],
    ['non-ASCII', 'GET /caf\u00e9'],
  ])('refuses %s', (_, text) => {
    expect(parseRoutePattern(text)).toBeUndefined();
  });

  it('accepts a pattern of exactly the maximum length and refuses one character more', () => {
    const atMost = `GET /${'a'.repeat(MAX_ROUTE_LENGTH - 5)}`;
    expect(atMost).toHaveLength(MAX_ROUTE_LENGTH);
    expect(parseRoutePattern(atMost)).toBeDefined();
    expect(parseRoutePattern(`${atMost}a`)).toBeUndefined();
  });
});

describe('route lists (the API edge)', () => {
  it('answers a valid list sorted and without repeats', () => {
    expect(parseRoutes(['GET /orders/*', 'POST /orders', 'GET /orders/*'])).toEqual({ ok: true, value: ['GET /orders/*', 'POST /orders'] });
  });

  it('refuses an empty list, naming how to allow every route', () => {
    expect(parseRoutes([])).toMatchObject({ ok: false, code: 'invalid_route', message: expect.stringContaining('leave it out') });
  });

  it(`takes ${MAX_ROUTES} patterns and refuses ${MAX_ROUTES + 1} as too_many_routes`, () => {
    const list = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => `GET /r${i}`);
    expect(parseRoutes(list.slice(0, MAX_ROUTES))).toMatchObject({ ok: true });
    expect(parseRoutes(list)).toMatchObject({ ok: false, code: 'too_many_routes', message: expect.stringContaining(`got ${MAX_ROUTES + 1}`) });
  });

  it('names the position of the bad pattern, never its text', () => {
    const result = parseRoutes(['GET /ok', 'secret-looking text']);
    expect(result).toMatchObject({ ok: false, code: 'invalid_route', message: expect.stringContaining('routes[1]') });
    expect(JSON.stringify(result)).not.toContain('secret-looking');
  });
});

describe('certificate pins', () => {
  it('takes the 43-character base64url of 32 bytes and nothing else', () => {
    expect(isCertificatePin(PIN_A)).toBe(true);
    expect(isCertificatePin(`${PIN_A}=`)).toBe(false); // padded
    expect(isCertificatePin(Buffer.alloc(32, 1).toString('base64'))).toBe(false); // '+' or '/' or padding
    expect(isCertificatePin(Buffer.alloc(31, 1).toString('base64url'))).toBe(false); // SHA-256 is 32 bytes
    expect(isCertificatePin(Buffer.alloc(33, 1).toString('base64url'))).toBe(false);
    expect(isCertificatePin(`${PIN_A.slice(0, 42)}B`)).toBe(false); // stray bits in the last character
    expect(isCertificatePin(`${PIN_A.slice(0, 42)}!`)).toBe(false);
  });

  it('answers a list sorted and without repeats; 1 to 5 distinct pins', () => {
    const five = [1, 2, 3, 4, 5].map((n) => Buffer.alloc(32, n).toString('base64url'));
    expect(parseCertificatePins([PIN_B, PIN_A, PIN_B])).toEqual({ ok: true, value: [PIN_A, PIN_B].sort() });
    expect(parseCertificatePins(five)).toMatchObject({ ok: true });
    expect(parseCertificatePins([...five, Buffer.alloc(32, 6).toString('base64url')])).toMatchObject({ ok: false, code: 'invalid_certificate_pin_count', message: expect.stringContaining(`1 to ${MAX_CERTIFICATE_PINS}`) });
    expect(parseCertificatePins([])).toMatchObject({ ok: false, code: 'invalid_certificate_pin_count' });
    expect(parseCertificatePins([...five, five[0]!])).toMatchObject({ ok: true }); // a repeat is not a sixth pin
  });

  it('refuses a bad pin by its position', () => {
    expect(parseCertificatePins([PIN_A, 'not a pin'])).toMatchObject({ ok: false, code: 'invalid_certificate_pin', message: expect.stringContaining('certificatePins[1]') });
  });

  it("is the SHA-256 of the certificate's SubjectPublicKeyInfo (RFC 7469), the same for a renewal with the same key", async () => {
    const ca = await createSelfSignedCa({ subject: 'CN=pin test CA', days: 30 });
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const issue = async (days: number) => new X509Certificate((await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme', publicKey, days })).certificatePem);
    const expected = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
    expect(spkiPinOf(await issue(30))).toBe(expected);
    expect(spkiPinOf(await issue(60))).toBe(expected);
    expect(spkiPinOf(new X509Certificate(ca.certificatePem))).not.toBe(expected);
    expect(isCertificatePin(expected)).toBe(true);
  });
});

describe('route matching', () => {
  // Parsed in a hook, not while collecting: a parser that refuses it then fails these tests (a
  // collection error would leave no test to fail, and a mutation run would count it as survived).
  let orders: RoutePattern[] = [];
  beforeAll(() => {
    orders = patterns('GET /orders/*');
  });

  it.each([
    ['GET', '/orders/1', true],
    ['GET', '/orders/anything-at-all', true],
    ['POST', '/orders/1', false],
    ['GET', '/orders', false],
    ['GET', '/orders/1/items', false],
    ['GET', '/admin', false],
    ['GET', '/orders/', false],
    ['GET', '/orders//1', false],
    ['GET', '/orders/..', false],
    ['GET', '/orders/.', false],
    ['GET', 'orders/1', false],
    ['get', '/orders/1', false],
    ['GET', '/Orders/1', false],
  ])('GET /orders/* and %s %s: %s', (method, path, allowed) => {
    expect(isRouteAllowed(orders, method, path)).toBe(allowed);
  });

  it('a star method is any method; a literal segment matches only itself', () => {
    const any = patterns('* /admin');
    expect(isRouteAllowed(any, 'DELETE', '/admin')).toBe(true);
    expect(isRouteAllowed(any, 'GET', '/admins')).toBe(false);
    expect(isRouteAllowed(any, 'GET', '/admin/x')).toBe(false);
  });

  it('the root pattern matches only the root', () => {
    const root = patterns('GET /');
    expect(isRouteAllowed(root, 'GET', '/')).toBe(true);
    expect(isRouteAllowed(root, 'GET', '/x')).toBe(false);
    expect(isRouteAllowed(patterns('GET /*'), 'GET', '/')).toBe(false);
  });

  it('any one of several patterns is enough; none allows nothing', () => {
    const list = patterns('GET /orders/*', 'POST /orders');
    expect(isRouteAllowed(list, 'POST', '/orders')).toBe(true);
    expect(isRouteAllowed(list, 'GET', '/orders/7')).toBe(true);
    expect(isRouteAllowed(list, 'PUT', '/orders')).toBe(false);
    expect(isRouteAllowed([], 'GET', '/orders/7')).toBe(false);
  });
});

describe('stored access settings', () => {
  it('parses what the API stored, and turns a stored value the API would not write into undefined', () => {
    const access = nameAccessOf({ routes: ['GET /orders/*'], certificatePins: [PIN_A] });
    expect(access?.routes).toEqual(patterns('GET /orders/*'));
    expect([...(access?.certificatePins ?? [])]).toEqual([PIN_A]);
    expect(nameAccessOf({})).toEqual({ routes: undefined, certificatePins: undefined });
    expect(nameAccessOf({ routes: ['nope'] })).toBeUndefined();
    expect(nameAccessOf({ routes: [] })).toBeUndefined();
    expect(nameAccessOf({ certificatePins: ['nope'] })).toBeUndefined();
  });
});

describe('insufficient_scope', () => {
  it('is its own public reason, keeps a generic detail, and is the one denial with the insufficient_scope bearer error', () => {
    expect(toPublicReason('insufficient_scope')).toBe('insufficient_scope');
    expect(publicDetailOf({ ok: false, reason: 'insufficient_scope', publicReason: 'insufficient_scope', detail: 'matches none' })).toBe('');
    expect(bearerErrorOf('insufficient_scope')).toBe('insufficient_scope');
    expect(bearerErrorOf('client_certificate_mismatch')).toBe('invalid_token');
    expect(denyPolicy('arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/GET/orders', 'insufficient_scope').context).toEqual({ error: 'insufficient_scope', reason: 'insufficient_scope', detail: '' });
    expect(denyPolicy('arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/GET/orders', 'token_expired', 'x').context).toEqual({ error: 'invalid_token', reason: 'token_expired', detail: 'x' });
  });
});

describe('the pipeline with access settings (after the binding, before the replay record)', () => {
  const NOW = 1_790_000_000;
  const pair = rsaKeyPair();
  const rules: AuthorizationRules = { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: 'none' };
  const certificate = { subject: 'CN=acme', issuer: 'CN=ca', issuerCanonical: 'cn=ca', serialNumber: '01', thumbprintSha256: 'thumb', spkiPinSha256: PIN_A, commonName: 'acme' } satisfies ClientCertificateFacts;

  async function run(access: KeyLookup['access'], request: Partial<RequestFacts>, extraRules: Partial<AuthorizationRules> = {}) {
    const recorded: string[] = [];
    const outcome = await authorizeToken(
      await mintToken(pair, { nowSeconds: NOW }),
      { nowSeconds: NOW, certificate, route: { method: 'GET', path: '/orders/1' }, ...request },
      { ...rules, ...extraRules },
      {
        lookUpKeys: () => ({ keys: [verificationKey(pair)], binding: undefined, access }),
        recordFirstUse: (_name, jti) => {
          recorded.push(jti);
          return 'first';
        },
      },
    );
    return { outcome, recorded };
  }

  let routes: RoutePattern[] = [];
  beforeAll(() => {
    routes = patterns('GET /orders/*');
  });
  const pins = new Set([PIN_A]);

  it('allows a route inside the permissions with a pinned certificate, and records the jti', async () => {
    const { outcome, recorded } = await run({ routes, certificatePins: pins }, {});
    expect(outcome.decision).toBe('allow');
    expect(recorded).toHaveLength(1);
  });

  it('refuses a route outside the permissions as insufficient_scope without burning the jti', async () => {
    for (const route of [{ method: 'POST', path: '/orders' }, { method: 'GET', path: '/admin' }]) {
      const { outcome, recorded } = await run({ routes }, { route });
      expect(outcome).toMatchObject({ decision: 'deny', keyName: 'acme', denial: { reason: 'insufficient_scope', publicReason: 'insufficient_scope' } });
      expect(recorded).toEqual([]);
    }
  });

  it('refuses a name with routes when the route is unknown (fail closed)', async () => {
    const { outcome } = await run({ routes }, { route: undefined });
    expect(outcome).toMatchObject({ decision: 'deny', denial: { reason: 'insufficient_scope' } });
  });

  it('refuses an unlisted certificate, and none, as client_certificate_mismatch without burning the jti', async () => {
    for (const request of [{ certificate: { ...certificate, spkiPinSha256: PIN_B } }, { certificate: undefined }]) {
      const { outcome, recorded } = await run({ certificatePins: pins }, request);
      expect(outcome).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch' } });
      expect(recorded).toEqual([]);
    }
  });

  it('checks the pins before the routes', async () => {
    const { outcome } = await run({ routes, certificatePins: pins }, { certificate: { ...certificate, spkiPinSha256: PIN_B }, route: { method: 'GET', path: '/admin' } });
    expect(outcome).toMatchObject({ denial: { reason: 'client_certificate_mismatch' } });
  });

  it('fails closed with the authorizer result cache on, for routes and for pins alike; names without either are unaffected', async () => {
    const cached = { authorizerCacheSeconds: 60 };
    expect((await run({ routes }, {}, cached)).outcome).toMatchObject({ decision: 'deny', denial: { reason: 'insufficient_scope', detail: expect.stringContaining('KEYGATE_AUTHORIZER_CACHE_SECONDS=60') } });
    expect((await run({ certificatePins: pins }, {}, cached)).outcome).toMatchObject({ decision: 'deny', denial: { reason: 'client_certificate_mismatch', detail: expect.stringContaining('cache') } });
    expect((await run(undefined, { route: { method: 'DELETE', path: '/anything' }, certificate: undefined }, cached)).outcome.decision).toBe('allow');
  });
});
