import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler, type AuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
import { indexOfNames } from '../../lambdas/key-store/name-index.js';
import { SecretsManagerKeyStore } from '../../lambdas/key-store/secrets-manager-key-store.js';
import { DynamoDbReplayGuard } from '../../lambdas/replay/replay-guard.js';
import { SecretsManagerRevocationStore } from '../../lambdas/revocation/revocation-store.js';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { authorizerEvent, captureOutput, lambdaContext } from '../helpers/events.js';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { useDummyAwsCredentials } from '../helpers/moto.js';
import { storedKey } from '../helpers/stored-keys.js';

// The one fault neither moto nor a stopped server produces: an endpoint that accepts the
// connection and never answers. Each dependency must give up well inside the authorizer's
// 10 s Lambda timeout and fail closed, counted as a fault.
const LAMBDA_TIMEOUT_MS = 10_000;

let server: Server;
const sockets = new Set<Socket>();
const dataDir = mkdtempSync(join(tmpdir(), 'keygate-hang-'));
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  useDummyAwsCredentials(`http://127.0.0.1:${address.port}`);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

const pair = rsaKeyPair(2048);

/** One request while the dependency hangs: it must fail closed, and in time; returns what was written. */
async function failsClosedInTime(handler: AuthorizerHandler, clientCertPem?: string): Promise<string> {
  const event = authorizerEvent({ authorization: `Bearer ${await mintToken(pair)}`, clientCertPem });
  const started = performance.now();
  const { error, output } = await captureOutput(() => handler(event, lambdaContext));
  expect(error).toMatchObject({ name: 'AuthorizerUnavailableError' });
  expect(performance.now() - started).toBeLessThan(LAMBDA_TIMEOUT_MS / 2);
  return output;
}

async function fileKeyStoreWithAcme(file: string): Promise<FileKeyStore> {
  const keyStore = new FileKeyStore(join(dataDir, file));
  await keyStore.addKey('acme', storedKey('default'));
  return keyStore;
}

describe('a dependency that accepts connections and never answers', () => {
  it('Secrets Manager: the authorizer fails closed (AUTHORIZER_FAILURE) before the Lambda timeout, counted as KeyIndexFault (the name index is its first read)', async () => {
    const output = await failsClosedInTime(createAuthorizerHandler({ keyStore: new SecretsManagerKeyStore(), config: readConfig({}) }));
    expect(output).toContain('KeyIndexFault');
    expect(output).toContain('TimeoutError');
  }, 20_000);

  it('Secrets Manager, with the name index readable: the name read fails closed before the Lambda timeout, counted as KeyStoreFault', async () => {
    const secrets = new SecretsManagerKeyStore();
    const keyStore = { getKeys: (name: string) => secrets.getKeys(name), readNameIndex: () => Promise.resolve(indexOfNames(['acme'], 1)) };
    const output = await failsClosedInTime(createAuthorizerHandler({ keyStore, config: readConfig({}) }));
    expect(output).toContain('KeyStoreFault');
    expect(output).toContain('TimeoutError');
  }, 20_000);

  it('the DynamoDB replay table: fails closed before the Lambda timeout, counted as ReplayTableFault', async () => {
    const keyStore = await fileKeyStoreWithAcme('keys.json');
    const output = await failsClosedInTime(createAuthorizerHandler({ keyStore, config: readConfig({}), replayGuard: new DynamoDbReplayGuard('keygate-replay') }));
    expect(output).toContain('ReplayTableFault');
  }, 20_000);

  it('the revocation list: fails closed before the Lambda timeout, counted as RevocationListFault', async () => {
    const keyStore = await fileKeyStoreWithAcme('keys-2.json');
    const ca = await createSelfSignedCa({ subject: 'CN=Hang CA' });
    const cert = await issueCertificate({ issuer: ca, profile: 'client', subject: 'CN=acme' });
    const handler = createAuthorizerHandler({ keyStore, config: readConfig({}), revocationStore: new SecretsManagerRevocationStore('keygate/revocations') });
    expect(await failsClosedInTime(handler, cert.certificatePem)).toContain('RevocationListFault');
  }, 20_000);
});
