import { describe, expect, it } from 'vitest';
import { explainToken, type Explanation } from '../../../../cli/explain/explain-token.js';
import { authorizeTokenSync } from '../../../../lambdas/core/authorization.js';
import { DEFAULT_TOKEN_RULES } from '../../../../lambdas/core/token-rules.js';
import { TOKEN_STEP_IDS, TOKEN_STEPS } from '../../../../lambdas/core/token-steps.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey } from '../../../helpers/keys.js';

const NOW = 1_790_000_000;
const pair = rsaKeyPair(2048);
const explain = (token: string): Explanation => explainToken(token, { nowSeconds: NOW, tokenRules: DEFAULT_TOKEN_RULES });
const rule = (explanation: Explanation, id: string) => explanation.rules.find((r) => r.id === id);
const withClaims = (claims: string) => signRaw(pair, '{"alg":"RS512"}', claims);
const MILLISECONDS_FIX = 'send seconds, not milliseconds: divide by 1000 (Java: Instant.now().getEpochSecond(), JavaScript: Math.floor(Date.now() / 1000))';

// The cases real clients hit (issue 18), each named plainly with its fix.
describe('keygate explain names what real clients get wrong, with the fix', () => {
  it('milliseconds (Java Date.getTime()): the lifetime rule says so, the times say so, and the verdict is the 401 sentence', async () => {
    const explanation = explain(await mintToken(pair, { claims: { iat: NOW * 1000, exp: NOW * 1000 + 300_000 } }));
    expect(rule(explanation, 'lifetime')).toMatchObject({ status: 'fail', reason: 'lifetime_too_long', detail: '300000 s; at most 1800 s is allowed; exp and iat look like milliseconds', fix: MILLISECONDS_FIX });
    expect(rule(explanation, 'iat-not-future')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/; iat looks like milliseconds$/), fix: MILLISECONDS_FIX });
    expect(explanation.times.exp).toMatchObject({ milliseconds: true });
    expect(explanation.verdict).toEqual({ decision: 'deny', reason: 'lifetime_too_long', publicReason: 'lifetime_too_long', detail: 'exp - iat is 300000 s; at most 1800 s is allowed; exp and iat look like milliseconds' });
  });

  it('a millisecond exp alone is named, and seconds are not called milliseconds', async () => {
    expect(rule(explain(await mintToken(pair, { nowSeconds: NOW, claims: { exp: NOW * 1000 } })), 'lifetime')).toMatchObject({ detail: expect.stringMatching(/; exp looks like milliseconds$/), fix: MILLISECONDS_FIX });
    const fine = explain(await mintToken(pair, { nowSeconds: NOW }));
    expect(fine.rules.filter((r) => r.fix !== undefined)).toEqual([]);
    expect(fine.times.iat).toMatchObject({ milliseconds: false });
  });

  it('a fraction (PyJWT with time.time())', () => {
    expect(rule(explain(withClaims(`{"sub":"ces:customer:acme","iat":${NOW}.25,"exp":${NOW + 60},"jti":"a"}`)), 'iat')).toEqual({
      id: 'iat',
      rule: 'iat is an integer number of seconds',
      status: 'fail',
      reason: 'invalid_claim',
      detail: `iat is a number with a fraction (${NOW}.25)`,
      fix: 'send whole seconds: round down (Python: int(time.time()); PyJWT: pass an int or a datetime)',
    });
  });

  it('a number in a string (the Go jwt tool -claim iat=N), for iat, exp and nbf', () => {
    const explanation = explain(withClaims(`{"sub":"ces:customer:acme","iat":"${NOW}","exp":"${NOW + 60}","nbf":"${NOW}","jti":"a"}`));
    for (const name of ['iat', 'exp', 'nbf']) {
      expect(rule(explanation, name)).toMatchObject({
        status: 'fail',
        reason: 'invalid_claim',
        detail: expect.stringMatching(new RegExp(`^${name} is a number in a string \\("\\d+"\\)$`)),
        fix: `send ${name} as a JSON number, without quotes (the Go jwt tool: -claim ${name}=N sends a string; build the claims as JSON instead)`,
      });
    }
  });

  it('a whole number written as 1.79e9', () => {
    expect(rule(explain(withClaims(`{"sub":"ces:customer:acme","iat":1.79e9,"exp":${NOW + 60},"jti":"a"}`)), 'iat')).toMatchObject({
      detail: 'iat is written with a decimal point or an exponent',
      fix: 'write it as a plain integer (1790000000)',
    });
  });

  it('padding in base64url, and standard base64 characters', async () => {
    const [h, p, s] = (await mintToken(pair, { nowSeconds: NOW })).split('.') as [string, string, string];
    const padded = explain(`${h}==.${p}.${s}`);
    expect(rule(padded, 'format')).toMatchObject({
      status: 'fail',
      reason: 'malformed_token',
      detail: 'a segment is not canonical unpadded base64url; it has base64 padding (=)',
      fix: 'remove the trailing = from each segment: JWS uses base64url without padding (RFC 7515, section 2)',
    });
    expect(rule(explain(`${h}.${p}.${s.replace(/-/g, '+')}+`), 'format')).toMatchObject({ fix: expect.stringContaining('+ becomes -, / becomes _') });
  });

  it('a certificate (or a key) where the token belongs', () => {
    const explanation = explain('-----BEGIN CERTIFICATE-----MIIBszCCAVmgAwIBAgIU-----END CERTIFICATE-----');
    expect(rule(explanation, 'format')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/; it is a PEM or base64 DER block \(a certificate or a key\), not a token$/),
      fix: 'a token is header.payload.signature signed with your private key: mint one (keygate token, or your JWT library) and send that',
    });
    expect(rule(explain('MIIBszCCAVmgAwIBAgIU'), 'format')?.fix).toMatch(/^a token is header\.payload\.signature/);
  });
});

describe("keygate explain's table is the pipeline's steps, as the pipeline told them", () => {
  /** The steps a run of the pipeline tells, as explain's rows show them: id, status and reason. */
  const told = (token: string, key = verificationKey(pair)) => {
    const steps: { id: string; status: string; reason?: string }[] = [];
    authorizeTokenSync(token, { nowSeconds: NOW, certificate: undefined }, { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: 'none' }, {
      lookUpKeys: () => ({ keys: [key], binding: undefined }),
      observer: {
        pass: (id) => steps.push({ id, status: 'pass' }),
        fail: (id, denial) => steps.push({ id, status: 'fail', reason: denial.reason }),
        skip: (id) => steps.push({ id, status: 'skip' }),
      },
    });
    return steps;
  };
  const rows = (explanation: Explanation) => explanation.rules.map(({ id, status, reason }) => ({ id, status, ...(reason ? { reason } : {}) }));

  it('one row per step of the core, in its order, with the rule the core states', async () => {
    const explanation = explainToken(await mintToken(pair, { nowSeconds: NOW }), { nowSeconds: NOW, tokenRules: DEFAULT_TOKEN_RULES, key: verificationKey(pair) });
    expect(explanation.rules.map((r) => r.id)).toEqual(TOKEN_STEP_IDS);
    expect(explanation.rules.map((r) => r.rule)).toEqual(TOKEN_STEP_IDS.map((id) => TOKEN_STEPS[id]));
  });

  it.each([
    ['a token that passes', () => mintToken(pair, { nowSeconds: NOW })],
    ['milliseconds', () => mintToken(pair, { claims: { iat: NOW * 1000, exp: NOW * 1000 + 300_000 } })],
    ['wrong alg, missing jti, expired', async () => signRaw(pair, '{"alg":"HS256","kid":7}', `{"sub":"ces:customer:acme","iat":${NOW - 4000},"exp":${NOW - 3000}}`)],
    // The pipeline does not read the time of an iat it refused: its later time steps are skipped, and so are the rows.
    ['an iat written 1.79e9', async () => withClaims(`{"sub":"ces:customer:acme","iat":1.79e9,"exp":${NOW + 60},"jti":"a"}`)],
    ['numbers in strings and a future nbf', async () => withClaims(`{"sub":"ces:customer:acme","iat":"${NOW}","exp":${NOW + 60},"nbf":${NOW + 600},"jti":"a"}`)],
  ])('%s: every row is the status and reason the pipeline told for that step', async (_label, make) => {
    const token = await make();
    expect(rows(explainToken(token, { nowSeconds: NOW, tokenRules: DEFAULT_TOKEN_RULES, key: verificationKey(pair) })).filter((row) => row.id !== 'signature')).toEqual(
      told(token).filter((step) => step.id !== 'signature').sort((a, b) => TOKEN_STEP_IDS.indexOf(a.id as never) - TOKEN_STEP_IDS.indexOf(b.id as never)),
    );
  });

  it("the signature row is the core's signature step, also when the claims failed first", async () => {
    const expired = await mintToken(pair, { nowSeconds: NOW - 4000 });
    expect(rule(explainToken(expired, { nowSeconds: NOW, tokenRules: DEFAULT_TOKEN_RULES, key: verificationKey(pair) }), 'signature')).toMatchObject({ status: 'pass' });
    const other = rsaKeyPair(2048, 'other');
    expect(rule(explainToken(expired, { nowSeconds: NOW, tokenRules: DEFAULT_TOKEN_RULES, key: verificationKey(other) }), 'signature')).toMatchObject({ status: 'fail', reason: 'invalid_signature' });
    const good = await mintToken(pair, { nowSeconds: NOW });
    expect(told(good, verificationKey(other)).at(-1)).toEqual({ id: 'signature', status: 'fail', reason: 'invalid_signature' });
  });
});
