import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/core/config.js';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import {
  FileRevocationStore,
  MAX_REVOKED_CERTIFICATES,
  RevocationListConflictError,
  RevocationListIntegrityError,
  RevocationStoreUnavailableError,
  SecretsManagerRevocationStore,
  type RevocationStore,
} from '../../lambdas/revocation/revocation-store.js';
import { lambdaContext, registrationEvent } from '../helpers/events.js';
import { freePort, useMotoServer } from '../helpers/moto.js';

useMotoServer();

const scratch = mkdtempSync(join(tmpdir(), 'keygate-revocation-store-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
const secretName = () => `keygate/revocation-store-${++counter}`;
const entry = (serial: number) => ({ issuer: 'CN=Acme Client CA,O=Acme', serialNumber: serial.toString(16).padStart(4, '0').replace(/(..)(..)/, '$1:$2'), revokedAt: '2026-12-04T00:00:00Z', revokedBy: 'test' });

/** POST /revocations through the registration handler, over the given store. */
async function revokeThroughApi(revocationStore: RevocationStore, body: Record<string, unknown>) {
  const dir = mkdtempSync(join(scratch, 'api-'));
  const handler = createRegistrationHandler({ config: readConfig({}), keyStore: new FileKeyStore(join(dir, 'keys.json')), revocationStore });
  const response = await handler(registrationEvent({ method: 'POST', resource: '/revocations', body }), lambdaContext);
  return { status: response.statusCode, body: JSON.parse(response.body) as { error?: string; message?: string } };
}

describe('the revocation store has its own errors, mapped to the same answers as the key store', () => {
  it('a full list is refused with RevocationListConflictError: 409 conflict, saying why and what to do', async () => {
    const name = secretName();
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ entries: Array.from({ length: MAX_REVOKED_CERTIFICATES }, (_, i) => entry(i + 1)) }) }),
    );
    const store = new SecretsManagerRevocationStore(name);
    await expect(store.add(entry(MAX_REVOKED_CERTIFICATES + 1))).rejects.toBeInstanceOf(RevocationListConflictError);
    // Revoking one already listed still answers, full or not.
    await expect(store.add(entry(1))).resolves.toMatchObject({ outcome: 'already_revoked' });
    const answer = await revokeThroughApi(store, { issuer: 'CN=Acme Client CA,O=Acme', serialNumber: 'ff:ff' });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe('conflict');
    expect(answer.body.message).toMatch(/full \(250 certificates\).*new CA/);
    expect(await store.list()).toHaveLength(MAX_REVOKED_CERTIFICATES);
  });

  it('a value keygate would not write is RevocationListIntegrityError: 500 key_store_integrity_error, nothing overwritten', async () => {
    const name = secretName();
    const foreign = JSON.stringify({ entries: [{ issuer: 'CN=x', serialNumber: 'not a serial', revokedAt: 'x', revokedBy: 'x' }] });
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: name, SecretString: foreign }));
    const store = new SecretsManagerRevocationStore(name);
    await expect(store.list()).rejects.toBeInstanceOf(RevocationListIntegrityError);
    const answer = await revokeThroughApi(store, { issuer: 'CN=Acme Client CA,O=Acme', serialNumber: '01' });
    expect(answer.status).toBe(500);
    expect(answer.body.error).toBe('key_store_integrity_error');
    await expect(store.list()).rejects.toBeInstanceOf(RevocationListIntegrityError);
  });

  it('a store that cannot be reached is RevocationStoreUnavailableError: 503 with Retry-After', async () => {
    const closedPort = await freePort();
    const client = new SecretsManagerClient({ endpoint: `http://127.0.0.1:${closedPort}`, maxAttempts: 1 });
    const store = new SecretsManagerRevocationStore(secretName(), client);
    await expect(store.list()).rejects.toBeInstanceOf(RevocationStoreUnavailableError);
    const answer = await revokeThroughApi(store, { issuer: 'CN=Acme Client CA,O=Acme', serialNumber: '01' });
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('key_store_unavailable');
  });

  it('local mode: a revocation file edited into a foreign shape is an integrity error, not an empty list', async () => {
    const dir = mkdtempSync(join(scratch, 'file-'));
    const path = join(dir, 'revoked.json');
    writeFileSync(path, JSON.stringify({ entries: [{ serialNumber: '01' }] }));
    const store = new FileRevocationStore(path);
    await expect(store.list()).rejects.toBeInstanceOf(RevocationListIntegrityError);
    await expect(store.add(entry(2))).rejects.toBeInstanceOf(RevocationListIntegrityError);
  });
});
