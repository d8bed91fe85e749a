import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { nextVersionToken } from '../../lambdas/shared/secrets-manager.js';
import { useMotoServer } from '../helpers/moto.js';
import { storedKey } from '../helpers/stored-keys.js';
import { describeKeyStoreContract } from './key-store-contract.js';

useMotoServer();

let prefix = 'keygate/keys/';
let n = 0;
describeKeyStoreContract(
  'SecretsManagerKeyStore on moto_server',
  () => {
    prefix = `keygate-${++n}/keys/`;
    return new SecretsManagerKeyStore({ prefix });
  },
  () => new SecretsManagerKeyStore({ prefix }),
);

describe('SecretsManagerKeyStore specifics', () => {
  it('stores one secret per name under the prefix, tagged keygate:key-name, with the documented value', async () => {
    const store = new SecretsManagerKeyStore({ prefix: 'tags/keys/' });
    const key = storedKey('a');
    await store.addKey('acme', key);
    const client = new SecretsManagerClient({});
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'tags/keys/acme' }));
    expect(described.Tags).toContainEqual({ Key: 'keygate:key-name', Value: 'acme' });
  });

  it('reads a value keygate did not write as an integrity error, never as keys', async () => {
    const client = new SecretsManagerClient({});
    await client.send(new CreateSecretCommand({ Name: 'corrupt/keys/acme', SecretString: JSON.stringify({ name: 'acme', keys: [{ kid: 'x', jwk: {} }] }) }));
    await expect(new SecretsManagerKeyStore({ prefix: 'corrupt/keys/' }).getKeys('acme')).rejects.toMatchObject({ name: 'KeyStoreIntegrityError' });
    await client.send(new CreateSecretCommand({ Name: 'corrupt/keys/other', SecretString: JSON.stringify({ name: 'acme', keys: [] }) }));
    await expect(new SecretsManagerKeyStore({ prefix: 'corrupt/keys/' }).getKeys('other')).rejects.toMatchObject({ name: 'KeyStoreIntegrityError' });
  });

  it('derives a valid, deterministic ClientRequestToken from the version read (the compare-and-set)', () => {
    const token = nextVersionToken('00000000-0000-0000-0000-000000000001');
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(nextVersionToken('00000000-0000-0000-0000-000000000001')).toBe(token);
    expect(nextVersionToken('00000000-0000-0000-0000-000000000002')).not.toBe(token);
  });

  it('a delayed writer whose change was already made from the same version is not told it succeeded when the secret moved on', async () => {
    // Staff C reads {a, b}; A removes a; a is added again; only then does C's "remove a" arrive. C's
    // write reuses A's token with A's value, which Secrets Manager accepts without writing anything.
    const prefix = 'cas/keys/';
    const client = new SecretsManagerClient({});
    const store = new SecretsManagerKeyStore({ prefix, client });
    const [a, b] = [storedKey('a'), storedKey('b')];
    await store.addKey('acme', a);
    await store.addKey('acme', b);
    const staleRead = await client.send(new GetSecretValueCommand({ SecretId: `${prefix}acme` }));
    await store.removeKey('acme', a.kid);
    await store.addKey('acme', a);
    let reads = 0;
    const delayedClient = {
      send: (command: unknown) => (command instanceof GetSecretValueCommand && reads++ === 0 ? Promise.resolve(staleRead) : client.send(command as never)),
    } as unknown as SecretsManagerClient;
    const record = await new SecretsManagerKeyStore({ prefix, client: delayedClient }).removeKey('acme', a.kid);
    expect(record.keys.map((k) => k.kid)).toEqual([b.kid]);
    expect((await store.getKeys('acme'))?.keys.map((k) => k.kid)).toEqual([b.kid]);
    expect(reads).toBeGreaterThan(1);
  });

  it('a Secrets Manager outage is a KeyStoreUnavailableError, not "unknown name"', async () => {
    const store = new SecretsManagerKeyStore({ prefix: 'down/keys/', client: new SecretsManagerClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }) });
    await expect(store.getKeys('acme')).rejects.toMatchObject({ name: 'KeyStoreUnavailableError' });
  });
});
