import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { revokedEntryKey, SERIAL_NUMBER_PATTERN, type RevokedCertificate } from '../core/revocation.js';
import { isBoundedString, isStrictObject } from '../core/shape.js';
import { backOff, createSecretsManagerClient, errorName, isNowCurrent, MAX_WRITE_ATTEMPTS, nextVersionToken } from '../shared/secrets-manager.js';

/** A Secrets Manager value holds at most 64 KiB; this many entries stay well inside it. */
export const MAX_REVOKED_CERTIFICATES = 250;

/** A change the caller can act on (maps to a 409): the list is full, or others kept changing it. */
export class RevocationListConflictError extends Error {
  override readonly name = 'RevocationListConflictError';
}

/** The store could not be reached or answered with a fault: the authorizer fails closed. */
export class RevocationStoreUnavailableError extends Error {
  override readonly name = 'RevocationStoreUnavailableError';
}

/** The stored list does not have the shape keygate writes: it is not trusted blindly. */
export class RevocationListIntegrityError extends Error {
  override readonly name = 'RevocationListIntegrityError';
}

/** The list of client certificates revoked by support staff. */
export interface RevocationStore {
  list(): Promise<readonly RevokedCertificate[]>;
  add(entry: RevokedCertificate): Promise<{ outcome: 'added' | 'already_revoked'; entries: readonly RevokedCertificate[] }>;
}

function isRevokedCertificate(value: unknown): value is RevokedCertificate {
  return (
    isStrictObject(value, ['issuer', 'serialNumber', 'revokedAt', 'revokedBy', 'reason']) &&
    isBoundedString(value['issuer'], 1024) &&
    value['issuer'].length > 0 &&
    isBoundedString(value['serialNumber'], 64, SERIAL_NUMBER_PATTERN) &&
    isBoundedString(value['revokedAt'], 64) &&
    isBoundedString(value['revokedBy'], 2048) &&
    (value['reason'] === undefined || isBoundedString(value['reason'], 256))
  );
}

function parseList(text: string): RevokedCertificate[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!isStrictObject(json, ['entries'])) throw new RevocationListIntegrityError('the revocation list is not in the keygate format');
  const { entries } = json;
  if (!Array.isArray(entries) || entries.length > MAX_REVOKED_CERTIFICATES || !entries.every(isRevokedCertificate)) {
    throw new RevocationListIntegrityError('the revocation list is not in the keygate format');
  }
  return entries;
}

function withEntry(entries: readonly RevokedCertificate[], entry: RevokedCertificate): { outcome: 'added' | 'already_revoked'; entries: readonly RevokedCertificate[] } {
  const key = revokedEntryKey(entry);
  if (entries.some((e) => revokedEntryKey(e) === key)) return { outcome: 'already_revoked', entries };
  if (entries.length >= MAX_REVOKED_CERTIFICATES) {
    throw new RevocationListConflictError(`the revocation list is full (${MAX_REVOKED_CERTIFICATES} certificates); issue new certificates from a new CA and retire the old one`);
  }
  return { outcome: 'added', entries: [...entries, entry] };
}

/** One secret holding the whole list, written with the same compare-and-set as the key store. */
export class SecretsManagerRevocationStore implements RevocationStore {
  constructor(
    private readonly secretName: string,
    private readonly client: SecretsManagerClient = createSecretsManagerClient(),
  ) {}

  private async read(): Promise<{ entries: RevokedCertificate[]; versionId: string | undefined }> {
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretName }));
      return { entries: parseList(result.SecretString ?? ''), versionId: result.VersionId };
    } catch (error) {
      if (error instanceof RevocationListIntegrityError) throw error;
      if (errorName(error) === 'ResourceNotFoundException') return { entries: [], versionId: undefined };
      throw new RevocationStoreUnavailableError(`Secrets Manager GetSecretValue failed: ${errorName(error) ?? 'unknown error'}`, { cause: error });
    }
  }

  async list(): Promise<readonly RevokedCertificate[]> {
    return (await this.read()).entries;
  }

  async add(entry: RevokedCertificate): Promise<{ outcome: 'added' | 'already_revoked'; entries: readonly RevokedCertificate[] }> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.read();
      const change = withEntry(current.entries, entry);
      if (change.outcome === 'already_revoked') return change;
      const value = JSON.stringify({ entries: change.entries });
      try {
        if (current.versionId) {
          const result = await this.client.send(new PutSecretValueCommand({ SecretId: this.secretName, SecretString: value, ClientRequestToken: nextVersionToken(current.versionId) }));
          if (isNowCurrent(result.VersionStages)) return change;
        } else {
          await this.client.send(new CreateSecretCommand({ Name: this.secretName, SecretString: value, ClientRequestToken: randomUUID(), Description: 'keygate revoked client certificates' }));
          return change;
        }
      } catch (error) {
        if (errorName(error) !== 'ResourceExistsException') {
          throw new RevocationStoreUnavailableError(`Secrets Manager write failed: ${errorName(error) ?? 'unknown error'}`, { cause: error });
        }
        await backOff(attempt);
      }
    }
    throw new RevocationListConflictError('the revocation list is being changed by someone else; try again');
  }
}

/** Local mode: a JSON file replaced atomically. */
export class FileRevocationStore implements RevocationStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  async list(): Promise<readonly RevokedCertificate[]> {
    try {
      return parseList(await readFile(this.path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  add(entry: RevokedCertificate): Promise<{ outcome: 'added' | 'already_revoked'; entries: readonly RevokedCertificate[] }> {
    const run = this.queue.then(async () => {
      const change = withEntry(await this.list(), entry);
      if (change.outcome === 'added') {
        await mkdir(dirname(this.path), { recursive: true });
        const temporary = `${this.path}.${randomUUID()}.tmp`;
        await writeFile(temporary, `${JSON.stringify({ entries: change.entries }, null, 2)}\n`, { mode: 0o600 });
        await rename(temporary, this.path);
      }
      return change;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
