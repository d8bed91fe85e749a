import { describe, expect, it } from 'vitest';
import { authorizeTokenSync } from '../../../lambdas/core/authorization.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { TOKEN_STEP_IDS, type StepObserver, type TokenStepId } from '../../../lambdas/core/token-steps.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey } from '../../helpers/keys.js';

const NOW = 1_790_000_000;
const pair = rsaKeyPair();
const rules = { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding: 'none' } as const;

function recorder(): { observer: StepObserver; steps: [TokenStepId, string][] } {
  const steps: [TokenStepId, string][] = [];
  return {
    steps,
    observer: { pass: (id) => steps.push([id, 'pass']), fail: (id, denial) => steps.push([id, denial.reason]), skip: (id, why) => steps.push([id, `skip: ${why}`]) },
  };
}

const tokens = async () => [
  await mintToken(pair, { nowSeconds: NOW }),
  await mintToken(pair, { nowSeconds: NOW - 4000, ttlSeconds: 3600, claims: { sub: 'ces:customer:' } }),
  await mintToken(rsaKeyPair(2048, 'other'), { nowSeconds: NOW }),
  signRaw(pair, '{"alg":"RS256","crit":[]}', `{"iat":"${NOW}","exp":${NOW * 1000},"jti":"\\u0001","nbf":${NOW + 900}}`),
  signRaw(pair, '{"alg":"RS512"}', '{}'),
  'not.a.token',
  'x'.repeat(9000),
];

describe('the step observer', () => {
  it('changes no decision: the outcome with an observer is the outcome without', async () => {
    for (const token of await tokens()) {
      const dependencies = { lookUpKeys: () => ({ keys: [verificationKey(pair)], binding: undefined }) };
      expect(authorizeTokenSync(token, { nowSeconds: NOW, certificate: undefined }, rules, { ...dependencies, observer: recorder().observer })).toEqual(
        authorizeTokenSync(token, { nowSeconds: NOW, certificate: undefined }, rules, dependencies),
      );
    }
  });

  it('is told every step of a decodable token once, and the first failure told is the decision', async () => {
    const token = signRaw(pair, '{"alg":"RS256","crit":[]}', `{"iat":"${NOW}","exp":${NOW * 1000},"jti":"\\u0001","nbf":${NOW + 900}}`);
    const { observer, steps } = recorder();
    const outcome = authorizeTokenSync(token, { nowSeconds: NOW, certificate: undefined }, rules, { observer });
    expect(steps).toEqual([
      ['size', 'pass'],
      ['format', 'pass'],
      ['alg', 'unsupported_algorithm'],
      ['crit', 'malformed_token'],
      ['kid', 'pass'],
      ['sub', 'missing_claim'],
      ['iat', 'invalid_claim'],
      ['exp', 'pass'],
      ['nbf', 'pass'],
      ['jti', 'invalid_claim'],
      ['order', 'skip: needs valid iat and exp'],
      ['lifetime', 'skip: needs valid iat and exp'],
      ['not-expired', 'pass'],
      ['iat-not-future', 'skip: needs a valid iat'],
      ['nbf-not-future', 'token_not_yet_valid'],
    ]);
    expect(new Set(steps.map(([id]) => id))).toEqual(new Set(TOKEN_STEP_IDS.filter((id) => id !== 'signature')));
    expect(outcome).toMatchObject({ decision: 'deny', denial: { reason: 'unsupported_algorithm' } });
  });

  it('a token too large is not decoded: size fails, format is skipped, nothing else is told', () => {
    const { observer, steps } = recorder();
    authorizeTokenSync('x'.repeat(9000), { nowSeconds: NOW, certificate: undefined }, rules, { observer });
    expect(steps).toEqual([
      ['size', 'token_too_large'],
      ['format', 'skip: too large to decode'],
    ]);
  });
});
