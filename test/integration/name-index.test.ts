import { DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { authorizerEvent, captureOutput, lambdaContext, registrationEvent } from '../helpers/events.js';
import { mintToken, rsaKeyPair, signRaw, type TestKeyPair } from '../helpers/keys.js';
import { useMotoServer } from '../helpers/moto.js';

useMotoServer();

const T0 = 1_790_000_000_000;
const pair = rsaKeyPair(2048);
const second = rsaKeyPair(2048, 'second');
let prefixCounter = 0;

/** Every Secrets Manager call of one client, by operation: counted where the SDK sends them. */
function countingClient() {
  const client = new SecretsManagerClient({});
  const calls = new Map<string, number>();
  const send = client.send.bind(client) as (command: object) => Promise<unknown>;
  client.send = ((command: object) => {
    const operation = command.constructor.name.replace(/Command$/, '');
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    return send(command);
  }) as typeof client.send;
  return { client, calls: (operation: string) => calls.get(operation) ?? 0, reset: () => calls.clear() };
}

/** One deployment on a fresh prefix: the registration API, and authorizer containers made on demand. */
function deployment(registrationClient?: SecretsManagerClient) {
  const prefix = `scale-${++prefixCounter}/keys/`;
  const config = readConfig({ KEYGATE_SECRET_PREFIX: prefix });
  const registration = createRegistrationHandler({ config, keyStore: new SecretsManagerKeyStore({ prefix, client: registrationClient }) });
  const call = async (method: string, resource: string, pathParameters: Record<string, string>, body?: unknown) => {
    const response = await registration(registrationEvent({ method, resource, pathParameters, body }), lambdaContext);
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };
  const register = (name: string, key: TestKeyPair = pair) => call('PUT', '/keys/{name}', { name }, { publicKey: key.publicKeyPem });
  /** A new warm container: its own caches, clock and counted Secrets Manager client. */
  const container = () => {
    const counted = countingClient();
    const clock = { now: T0 };
    const handler = createAuthorizerHandler({ keyStore: new SecretsManagerKeyStore({ prefix, client: counted.client }), config, now: () => clock.now });
    const verdict = async (token: string) => {
      const result = await handler(authorizerEvent({ authorization: `Bearer ${token}` }), lambdaContext);
      const statement = result.policyDocument.Statement[0] as { Effect: string };
      return statement.Effect === 'Allow' ? 'allow' : String(result.context?.['reason']);
    };
    const token = (name: string, key: TestKeyPair = pair) => mintToken(key, { name, nowSeconds: Math.floor(clock.now / 1000) });
    return { clock, verdict, token, calls: counted.calls, reset: counted.reset };
  };
  return { prefix, call, register, container };
}

/** A token for a name nobody registered: valid in every other respect, and cheap to forge. */
const madeUp = (i: number, nowSeconds: number) => signRaw(pair, '{"alg":"RS512"}', JSON.stringify({ sub: `ces:customer:made-up-${i}`, iat: nowSeconds, exp: nowSeconds + 300, jti: `m${i}` }));

/** One token per name, reused (no replay guard is configured): signing, not verifying, would otherwise be most of the run. */
function tokenPerName(mint: (name: string) => Promise<string>): (name: string) => Promise<string> {
  const tokens = new Map<string, Promise<string>>();
  return (name) => tokens.get(name) ?? tokens.set(name, mint(name)).get(name)!;
}

/** Deterministic "uniform" choice, so a failure can be replayed. */
function picker(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
}

describe('2,000 registered names against moto_server (registered through the registration API)', () => {
  const NAMES = 2_000;
  const names = Array.from({ length: NAMES }, (_, i) => `customer-${String(i).padStart(4, '0')}`);
  const keygate = deployment();

  // One at a time: moto serves one request at a time, and concurrent registrations only add
  // compare-and-set retries on the index (measured: 4 calls per name serially, about 6 with 4 at once).
  // Each registration is 4 Secrets Manager calls (read the name, create it, read and write the index):
  // 2,000 take 2 to 4 minutes on 2 shared cores, almost all of it inside moto.
  beforeAll(async () => {
    const { error } = await captureOutput(async () => {
      for (const name of names) {
        const response = await keygate.register(name);
        if (response.status !== 201) throw new Error(`registration failed: ${JSON.stringify(response)}`);
      }
    });
    if (error) throw error;
  }, 480_000);

  it('valid tokens uniform over the names: every one allowed, one read per name new to the container, one index read per window', async () => {
    const { verdict, token, calls, clock } = keygate.container();
    const pick = picker(1);
    const tokenFor = tokenPerName(token);
    const seen = new Set<string>();
    const verdicts = new Map<string, number>();
    const { error } = await captureOutput(async () => {
      for (let i = 0; i < 4_000; i++) {
        clock.now = T0 + i * 25; // 100 s: two key-cache windows
        const name = names[pick(NAMES)]!;
        seen.add(name);
        const v = await verdict(await tokenFor(name));
        verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
      }
    });
    expect(error).toBeUndefined();
    expect(verdicts).toEqual(new Map([['allow', 4_000]]));
    // The documented bound: per window one index read, plus one read per name new to the container or changed.
    const windows = Math.ceil(100 / 60);
    expect(calls('GetSecretValue')).toBeLessThanOrEqual(windows + seen.size);
    expect(calls('GetSecretValue')).toBeGreaterThanOrEqual(1 + seen.size);
  }, 120_000);

  it('half valid, half made-up names, in a fresh container: every valid token allowed, every made-up one denied without a read', async () => {
    const { verdict, token, calls, clock } = keygate.container();
    const tokenFor = tokenPerName(token);
    const pick = picker(2);
    const seen = new Set<string>();
    const verdicts = { valid: new Map<string, number>(), madeUp: new Map<string, number>() };
    const count = (map: Map<string, number>, v: string) => map.set(v, (map.get(v) ?? 0) + 1);
    const { error } = await captureOutput(async () => {
      for (let i = 0; i < 4_000; i++) {
        clock.now = T0 + i * 2; // 8 s: inside one window, and far past the old unknown-name budget (40 + 20/s)
        if (i % 2 === 0) {
          const name = names[pick(NAMES)]!;
          seen.add(name);
          count(verdicts.valid, await verdict(await tokenFor(name)));
        } else {
          count(verdicts.madeUp, await verdict(madeUp(i, Math.floor(clock.now / 1000))));
        }
      }
    });
    expect(error).toBeUndefined();
    expect(verdicts.valid).toEqual(new Map([['allow', 2_000]]));
    expect(verdicts.madeUp).toEqual(new Map([['invalid_signature', 2_000]]));
    // One index read, one read per registered name first seen; made-up names cost nothing.
    expect(calls('GetSecretValue')).toBe(1 + seen.size);
  }, 120_000);
});

describe('index consistency (moto_server)', () => {
  it('a removed key and a revoked name are refused within KEYGATE_KEY_CACHE_SECONDS; a restored name comes back', async () => {
    const keygate = deployment();
    await captureOutput(async () => {
      await keygate.register('acme');
      await keygate.register('acme', second);
      await keygate.register('other');
    });
    const { verdict, token, clock, calls, reset } = keygate.container();
    expect(await verdict(await token('acme'))).toBe('allow');
    expect(await verdict(await token('acme', second))).toBe('allow');
    expect(await verdict(await token('other'))).toBe('allow');

    await captureOutput(() => keygate.call('DELETE', '/keys/{name}/{kid}', { name: 'acme', kid: second.kid }));
    await captureOutput(() => keygate.call('DELETE', '/keys/{name}', { name: 'other' }));
    clock.now += 60_000; // one window: the container reads the index and drops exactly the changed names
    reset();
    expect(await verdict(await token('acme', second))).toBe('invalid_signature');
    expect(await verdict(await token('other'))).toBe('invalid_signature');
    expect(await verdict(await token('acme'))).toBe('allow');
    expect(calls('GetSecretValue')).toBe(3); // the index, then acme and other once each

    const restored = await captureOutput(() => keygate.call('POST', '/keys/{name}/restore', { name: 'other' }));
    expect(restored.result).toMatchObject({ status: 200, body: { outcome: 'restored' } });
    clock.now += 60_000;
    expect(await verdict(await token('other'))).toBe('allow');
  }, 60_000);

  it('an added key whose index write failed (503): a repeat of the PUT makes it usable', async () => {
    // A write refused once at the right moment is a fault moto cannot produce: the client is wrapped.
    const client = new SecretsManagerClient({});
    const send = client.send.bind(client) as (command: object) => Promise<unknown>;
    let failNextIndexWrite = false;
    client.send = ((command: object) => {
      const input = (command as { input?: { SecretId?: string } }).input;
      if (failNextIndexWrite && command instanceof PutSecretValueCommand && input?.SecretId?.endsWith('/_index')) {
        failNextIndexWrite = false;
        return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      }
      return send(command);
    }) as typeof client.send;
    const keygate = deployment(client);
    await captureOutput(() => keygate.register('acme'));
    const { verdict, token, clock } = keygate.container();
    expect(await verdict(await token('acme'))).toBe('allow');
    failNextIndexWrite = true;
    expect((await captureOutput(() => keygate.register('acme', second))).result).toMatchObject({ status: 503 });
    clock.now += 60_000;
    expect(await verdict(await token('acme', second))).toBe('invalid_signature'); // stored, not yet announced: fails closed
    expect((await captureOutput(() => keygate.register('acme', second))).result).toMatchObject({ status: 200, body: { outcome: 'already_present' } });
    clock.now += 60_000;
    expect(await verdict(await token('acme', second))).toBe('allow');
  });

  it('two concurrent registrations of new names: both become usable', async () => {
    const keygate = deployment();
    const { verdict, token, clock } = keygate.container();
    await captureOutput(() => Promise.all([keygate.register('first'), keygate.register('second')]));
    clock.now += 60_000;
    expect(await verdict(await token('first'))).toBe('allow');
    expect(await verdict(await token('second'))).toBe('allow');
  });

  it('a new name becomes usable within one key-cache window of its registration', async () => {
    const keygate = deployment();
    await captureOutput(() => keygate.register('early'));
    const { verdict, token, clock } = keygate.container();
    expect(await verdict(await token('early'))).toBe('allow'); // the container has read the index now
    await captureOutput(() => keygate.register('late'));
    clock.now += 60_000;
    expect(await verdict(await token('late'))).toBe('allow');
  });

  it('an index that cannot be read fails closed with KeyIndexFault; the next registration write repairs it', async () => {
    const keygate = deployment();
    await captureOutput(() => keygate.register('acme'));
    const raw = new SecretsManagerClient({});
    await raw.send(new PutSecretValueCommand({ SecretId: `${keygate.prefix}_index`, SecretString: '{"v":1,"seq":"damaged"}' }));
    const { verdict, token, clock } = keygate.container();
    const failed = await captureOutput(async () => verdict(await token('acme')));
    expect(failed.error).toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(failed.output).toContain('KeyIndexFault');

    await captureOutput(() => keygate.register('acme')); // already present: settles the index, rebuilding it
    clock.now += 1_000; // the next attempt to read the index
    expect(await verdict(await token('acme'))).toBe('allow');
  });

  it('an index deleted from outside keygate (scheduled for deletion) does not block registration: a revocation restores and rebuilds it', async () => {
    const keygate = deployment();
    await captureOutput(async () => {
      await keygate.register('stays');
      await keygate.register('leaves');
    });
    const raw = new SecretsManagerClient({});
    await raw.send(new DeleteSecretCommand({ SecretId: `${keygate.prefix}_index`, RecoveryWindowInDays: 7 }));

    const revoked = await captureOutput(() => keygate.call('DELETE', '/keys/{name}', { name: 'leaves' }));

    expect(revoked.result?.status).toBe(200);
    const after = keygate.container();
    const verdicts = await captureOutput(async () => [await after.verdict(await after.token('stays')), await after.verdict(await after.token('leaves'))]);
    expect(verdicts.result).toEqual(['allow', 'invalid_signature']);
    expect(verdicts.output).not.toContain('KeyIndexMissing');
    after.reset();
    expect(await after.verdict(madeUp(2, Math.floor(after.clock.now / 1000)))).toBe('invalid_signature');
    expect(after.calls('GetSecretValue'), 'the rebuilt index refuses made-up names without a read').toBe(0);
  });

  it('a deployment from before the index: names are served as before (budgeted), and the first registration write builds the index from ListSecrets', async () => {
    const keygate = deployment();
    const raw = new SecretsManagerClient({});
    await captureOutput(async () => {
      await keygate.register('legacy');
      await keygate.register('other');
    });
    await raw.send(new DeleteSecretCommand({ SecretId: `${keygate.prefix}_index`, ForceDeleteWithoutRecovery: true }));
    const before = keygate.container();
    const missing = await captureOutput(async () => before.verdict(await before.token('legacy')));
    expect(missing.result).toBe('allow');
    expect(missing.output).toContain('KeyIndexMissing');

    expect((await captureOutput(() => keygate.register('legacy'))).result).toMatchObject({ status: 200, body: { outcome: 'already_present' } });
    const after = keygate.container();
    expect(await after.verdict(await after.token('legacy'))).toBe('allow');
    expect(await after.verdict(await after.token('other'))).toBe('allow');
    after.reset();
    expect(await after.verdict(madeUp(1, Math.floor(after.clock.now / 1000)))).toBe('invalid_signature');
    expect(after.calls('GetSecretValue')).toBe(0);
    // The index is not a key name: GET /keys does not list it.
    const listed = await keygate.call('GET', '/keys', {});
    expect((listed.body['items'] as { name: string }[]).map((item) => item.name)).toEqual(['legacy', 'other']);
  });
});
