import { describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { authorizerEvent, captureOutput, jsonLines, lambdaContext, registrationEvent } from '../helpers/events.js';
import { mintToken, rsaKeyPair, type TestKeyPair } from '../helpers/keys.js';
import { useMotoServer } from '../helpers/moto.js';

useMotoServer();

const T0 = 1_790_000_000_000;
const DAY_MS = 86_400_000;
let prefixCounter = 0;

/**
 * Keys registered through the registration handler on moto at a chosen time (its clock writes
 * addedAt), then tokens checked by the authorizer at T0 (its clock may move on).
 */
async function setup(env: Record<string, string>, registrations: readonly { name: string; pair: TestKeyPair; daysAgo: number }[]) {
  const prefix = `key-age-${++prefixCounter}-${Date.now()}/keys/`;
  const config = readConfig({ KEYGATE_SECRET_PREFIX: prefix, ...env });
  const store = new SecretsManagerKeyStore({ prefix });
  const registrationClock = { now: T0 };
  const registration = createRegistrationHandler({ keyStore: store, config, now: () => new Date(registrationClock.now) });
  for (const { name, pair, daysAgo } of registrations) {
    registrationClock.now = T0 - daysAgo * DAY_MS;
    const event = registrationEvent({ method: 'PUT', resource: '/keys/{name}', pathParameters: { name }, body: { publicKey: pair.publicKeyPem } });
    const { result } = await captureOutput(() => registration(event, lambdaContext));
    expect(result?.statusCode).toBe(201);
  }
  const clock = { now: T0 };
  const authorizer = createAuthorizerHandler({ keyStore: store, config, now: () => clock.now });
  /** One call: the decision (allow, or the public reason), the internal reason logged, the metrics and warnings written. */
  const call = async (pair: TestKeyPair, name: string) => {
    const token = await mintToken(pair, { name, nowSeconds: Math.floor(clock.now / 1000) });
    const { result, output } = await captureOutput(() => authorizer(authorizerEvent({ authorization: `Bearer ${token}` }), lambdaContext));
    const lines = jsonLines(output);
    const effect = result?.policyDocument.Statement[0] && 'Effect' in result.policyDocument.Statement[0] ? result.policyDocument.Statement[0].Effect : undefined;
    return {
      decision: effect === 'Allow' ? 'allow' : result?.context?.['reason'],
      detail: result?.context?.['detail'],
      internalReason: lines.find((line) => line['message'] === 'denied')?.['reason'],
      keyAgeDays: lines.find((line) => '_aws' in line)?.['KeyAgeDays'],
      warnings: lines.filter((line) => line['level'] === 'WARN' && String(line['message']).startsWith('key nears its age limit')),
    };
  };
  return { call, clock };
}

describe('key age against moto_server, through the registration and authorizer handlers', () => {
  const elder = rsaKeyPair(2048, 'elder');
  const junior = rsaKeyPair(2048, 'junior');
  const near = rsaKeyPair(2048, 'near');

  it('with KEYGATE_MAX_KEY_AGE_DAYS=365: a key registered 400 days ago is refused (key_expired inside, invalid_signature outside), one of 10 days is accepted', async () => {
    const { call } = await setup({ KEYGATE_MAX_KEY_AGE_DAYS: '365' }, [
      { name: 'elder', pair: elder, daysAgo: 400 },
      { name: 'junior', pair: junior, daysAgo: 10 },
    ]);
    const refused = await call(elder, 'elder');
    expect(refused).toMatchObject({ decision: 'invalid_signature', internalReason: 'key_expired', detail: '' });
    const accepted = await call(junior, 'junior');
    expect(accepted).toMatchObject({ decision: 'allow', keyAgeDays: 10, warnings: [] });
  });

  it('a key within 30 days of the limit is accepted with a warning, written once per kid per hour', async () => {
    const { call, clock } = await setup({ KEYGATE_MAX_KEY_AGE_DAYS: '365' }, [{ name: 'near', pair: near, daysAgo: 350 }]);
    const first = await call(near, 'near');
    expect(first).toMatchObject({ decision: 'allow', keyAgeDays: 350 });
    expect(first.warnings).toEqual([
      expect.objectContaining({ keyName: 'near', kid: near.kid, ageDays: 350, maxKeyAgeDays: 365, refusedFrom: new Date(T0 + 15 * DAY_MS).toISOString() }),
    ]);
    clock.now += 60_000;
    expect((await call(near, 'near')).warnings).toEqual([]);
    clock.now += 3600_000;
    expect((await call(near, 'near')).warnings).toHaveLength(1);
    // Fifteen days on, the same key is over the limit.
    clock.now = T0 + 15 * DAY_MS + 1000;
    expect(await call(near, 'near')).toMatchObject({ decision: 'invalid_signature', internalReason: 'key_expired' });
  });

  it('without a limit (the default) an old key is accepted, its age still measured and nothing warned', async () => {
    const { call } = await setup({}, [{ name: 'elder', pair: elder, daysAgo: 4000 }]);
    expect(await call(elder, 'elder')).toMatchObject({ decision: 'allow', keyAgeDays: 4000, warnings: [] });
  });
});
