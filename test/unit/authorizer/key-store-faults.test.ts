import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../../lambdas/core/config.js';
import { SecretsManagerKeyStore } from '../../../lambdas/key-store/secrets-manager-key-store.js';
import { authorizerEvent, captureOutput, lambdaContext } from '../../helpers/events.js';
import { mintToken, rsaKeyPair } from '../../helpers/keys.js';
import { storedKey } from '../../helpers/stored-keys.js';

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
    secretsManager.on(GetSecretValueCommand).rejects(fault());
    const { invoke } = setup();
    const { error, output } = await captureOutput(invoke);
    expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
    expect(output).toContain('KeyStoreFault');
    expect(output).toContain(fault().name);
  });

  it('serves a known name from the stale window, then fails closed once it is over', async () => {
    secretsManager.on(GetSecretValueCommand).resolvesOnce(secretValue).rejects(fault());
    const { clock, invoke } = setup();
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 60_000 + 299_000; // expired 299 s ago: inside the 300 s stale window
    expect((await invoke()).policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    clock.now += 2_000;
    await expect(invoke()).rejects.toMatchObject({ name: 'AuthorizerUnavailableError' });
  });
});
