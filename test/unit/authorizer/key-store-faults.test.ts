import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../../lambdas/core/config.js';
import { SecretsManagerKeyStore } from '../../../lambdas/key-store/secrets-manager-key-store.js';
import { authorizerEvent, captureOutput, lambdaContext } from '../../helpers/events.js';
import { mintToken, rsaKeyPair } from '../../helpers/keys.js';
import { storedKey } from '../../helpers/stored-keys.js';
import { indexOfNames, serializeIndex } from '../../../lambdas/key-store/name-index.js';

// Throttling and timeouts cannot be produced by moto_server, so these faults are mocked at the SDK client.
const secretsManager = mockClient(SecretsManagerClient);
afterEach(() => secretsManager.reset());

function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}
function timeout(): Error {
  return Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

const T0 = 1_790_000_000_000;
const pair = rsaKeyPair(2048);
const secretValue = { SecretString: JSON.stringify({ name: 'acme', keys: [storedKey('default')] }), VersionId: '11111111-1111-1111-1111-111111111111' };
const INDEX_ID = 'keygate/keys/_index';

/** Answers the name index and the name's secret apart: each with its own sequence of results. */
function answer(index: (() => unknown)[], name: (() => unknown)[]): void {
  secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const queue = input.SecretId === INDEX_ID ? index : name;
    const next = (queue.length > 1 ? queue.shift() : queue[0])!;
    return next();
  });
}
const ok = (value: unknown) => () => Promise.resolve(value);
const fails = (error: () => Error) => () => Promise.reject(error());
const indexValue = { SecretString: serializeIndex(indexOfNames(['acme'], 7)), VersionId: '22222222-2222-2222-2222-222222222222' };
function notFound(): Error {
  return Object.assign(new Error('not found'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function setup() {
  const clock = { now: T0 };
  const keyStore = new SecretsManagerKeyStore({ client: new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) });
  const handler = createAuthorizerHandler({ keyStore, config: readConfig({}), now: () => clock.now });
  const invoke = async () => handler(authorizerEvent({ authorization: `Bearer ${await mintToken(pair, { nowSeconds: Math.floor(clock.now / 1000) })}` }), lambdaContext);
  return { clock, invoke };
}

describe.each([
  ['throttling', throttling],
  ['a timeout', timeout],
])('authorizer under %s', (_label, fault) => {
  it('fails closed with an error (AUTHORIZER_FAILURE), not a denial, and counts a KeyStoreFault', async () => {
    answer([ok(indexValue)], [fails(fault)]);
    const { invoke } = setup();
    const { error, output } = await captureOutput(invoke);
    expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(output).toContain('KeyStoreFault');
    expect(output).toContain(fault().name);
  });

  it('an unreadable name index: names not cached fail closed with KeyIndexFault, never a denial', async () => {
    answer([fails(fault)], [ok(secretValue)]);
    const { invoke } = setup();
    const { error, output } = await captureOutput(invoke);
    expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(output).toContain('KeyIndexFault');
  });

  it('with the name index failing: a known name is served from the stale window counted from the failure, then fails closed', async () => {
    answer([ok(indexValue), fails(fault)], [ok(secretValue), fails(fault)]);
    const { clock, invoke } = setup();
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 60_000; // the index is due; its read fails: acme is re-read, fails, and is served stale
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 299_000;
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 2_000;
    await expect(invoke()).rejects.toMatchObject({ name: 'AuthorizerUnavailableError' });
  });

  it('without a name index: serves a known name from the stale window, then fails closed once it is over', async () => {
    answer([fails(notFound)], [ok(secretValue), fails(fault)]);
    const { clock, invoke } = setup();
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 60_000 + 299_000; // expired 299 s ago: inside the 300 s stale window
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 2_000;
    await expect(invoke()).rejects.toMatchObject({ name: 'AuthorizerUnavailableError' });
  });
});
