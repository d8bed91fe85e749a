import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { withAccessChanged, withKeyAdded, withKeyRemoved } from './key-changes.js';
import { KeyStoreError, KeyStoreIntegrityError, KeyStoreUnavailableError, nameSummary, type AccessChange, type AccessChangeOutcome, type AddKeyOptions, type KeyNamePage, type KeyRecord, type KeyStore, type RestoreOutcome, type RevokeResult, type StoredKey } from './key-store.js';
import { indexOfNames, NameIndexFullError, parseIndex, serializeIndex, withNameChange, type NameIndexData } from './name-index.js';
import { DEFAULT_SECRET_PREFIX } from '../core/config.js';
import { isValidKeyName } from '../core/limits.js';
import { parseStoredRecord, serializeRecord } from './stored-record.js';
import { backOff, createSecretsManagerClient, errorName, isNowCurrent, MAX_WRITE_ATTEMPTS, nextVersionToken } from '../shared/secrets-manager.js';

export const KEY_NAME_TAG = 'keygate:key-name';
/** Inside the key prefix (so the prefix's IAM grants cover it) under a name no key name can have. */
export const INDEX_SECRET_SUFFIX = '_index';
const NEXT_TOKEN = /^[A-Za-z0-9+/=_-]{1,4096}$/;

export interface SecretsManagerKeyStoreOptions {
  /** Prefix of the per-name secrets. @default 'keygate/keys/' */
  readonly prefix?: string;
  /** @default a client with bounded retries and timeouts; honours AWS_ENDPOINT_URL */
  readonly client?: SecretsManagerClient;
}

type IndexState = { state: 'missing' } | { state: 'scheduled-for-deletion' } | { state: 'broken'; versionId: string } | { state: 'present'; index: NameIndexData; versionId: string };

type SecretState = { state: 'missing' } | { state: 'revoked' } | { state: 'active'; record: KeyRecord; versionId: string };

/** One secret per key name, `<prefix><name>`, tagged `keygate:key-name`. */
export class SecretsManagerKeyStore implements KeyStore {
  private readonly prefix: string;
  private readonly client: SecretsManagerClient;

  constructor(options: SecretsManagerKeyStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_SECRET_PREFIX;
    this.client = options.client ?? createSecretsManagerClient();
  }

  private secretId(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** The per-name secrets among all of the account's: under the prefix and tagged with their name (the index is not tagged). */
  private get keySecretFilters(): Filter[] {
    return [
      { Key: 'name', Values: [this.prefix] },
      { Key: 'tag-key', Values: [KEY_NAME_TAG] },
    ];
  }

  private get indexSecretId(): string {
    return `${this.prefix}${INDEX_SECRET_SUFFIX}`;
  }

  async readNameIndex(): Promise<NameIndexData | undefined> {
    const current = await this.readIndex();
    if (current.state === 'broken') throw new KeyStoreIntegrityError('the name index does not have the keygate shape');
    return current.state === 'present' ? current.index : undefined;
  }

  private async readIndex(): Promise<IndexState> {
    let result;
    try {
      result = await this.client.send(new GetSecretValueCommand({ SecretId: this.indexSecretId }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return { state: 'missing' };
      // Deleted from outside keygate: nothing to trust in it (the authorizer reads it as missing), and
      // a new one cannot be created under its name until it is restored (changeIndex does that).
      if (errorName(error) === 'InvalidRequestException') return { state: 'scheduled-for-deletion' };
      throw this.unavailable('GetSecretValue (name index)', error);
    }
    if (result.VersionId === undefined) throw new KeyStoreIntegrityError('the name index has no version');
    try {
      return { state: 'present', index: parseIndex(result.SecretString ?? ''), versionId: result.VersionId };
    } catch (error) {
      if (error instanceof KeyStoreIntegrityError) return { state: 'broken', versionId: result.VersionId };
      throw error;
    }
  }

  /** Every name under the prefix, revoked ones included (they can be restored): for a rebuild. */
  private async allNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListSecretsCommand({
            Filters: this.keySecretFilters,
            IncludePlannedDeletion: true,
            MaxResults: 100,
            NextToken: nextToken,
          }),
        );
      } catch (error) {
        throw this.unavailable('ListSecrets (name index rebuild)', error);
      }
      for (const secret of page.SecretList ?? []) {
        const name = (secret.Name ?? '').slice(this.prefix.length);
        if (secret.Name?.startsWith(this.prefix) && isValidKeyName(name)) names.push(name);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return names;
  }

  /**
   * Applies one change to the index with the same compare-and-set as the records. A missing or
   * broken index is rebuilt from ListSecrets first (a deployment from before the index, or damage).
   */
  private async changeIndex(name: string, phase: 'begin' | 'end' | 'log'): Promise<void> {
    let rebuild = false;
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.readIndex();
      if (current.state === 'scheduled-for-deletion') {
        // Restored, then rebuilt from the names (its old value may predate changes): without this
        // every registration write, revocations included, would fail until the deletion date.
        await this.restoreIndex();
        rebuild = true;
        continue;
      }
      const base = current.state === 'present' && !rebuild ? current.index : indexOfNames(await this.allNames(), Date.now());
      let next;
      try {
        next = withNameChange(base, name, phase, Math.floor(Date.now() / 1000));
      } catch (error) {
        if (error instanceof NameIndexFullError) throw new KeyStoreError('conflict', 'too many key changes are in progress; try again shortly');
        throw error;
      }
      const written = current.state === 'missing' ? await this.createIndex(next) : await this.putIndex(next, current.versionId);
      if (written) return;
      await backOff(attempt);
    }
    throw new KeyStoreError('conflict', 'the name index is being changed by someone else; try again');
  }

  private async restoreIndex(): Promise<void> {
    try {
      await this.client.send(new RestoreSecretCommand({ SecretId: this.indexSecretId }));
    } catch (error) {
      throw this.unavailable('RestoreSecret (name index)', error);
    }
  }

  private async createIndex(index: NameIndexData): Promise<boolean> {
    try {
      await this.client.send(
        new CreateSecretCommand({ Name: this.indexSecretId, SecretString: serializeIndex(index), ClientRequestToken: randomUUID(), Description: 'keygate name index (written by the registration API only)' }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') return false;
      throw this.unavailable('CreateSecret (name index)', error);
    }
  }

  private async putIndex(index: NameIndexData, readVersionId: string): Promise<boolean> {
    try {
      const result = await this.client.send(new PutSecretValueCommand({ SecretId: this.indexSecretId, SecretString: serializeIndex(index), ClientRequestToken: nextVersionToken(readVersionId) }));
      return isNowCurrent(result.VersionStages);
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') return false;
      throw this.unavailable('PutSecretValue (name index)', error);
    }
  }

  /**
   * A write that takes something away (a key, the whole name) runs between the index's begin and end
   * marks. The end mark is best effort: while it is missing the name stays pending and authorizers
   * keep its keys no longer than the key-cache window, as without an index; an index write after
   * PENDING_EXPIRY_SECONDS settles it.
   */
  private async removing<T>(name: string, write: () => Promise<T>): Promise<T> {
    await this.changeIndex(name, 'begin');
    try {
      return await write();
    } finally {
      await this.changeIndex(name, 'end').catch(() => undefined);
    }
  }

  /**
   * A write that only adds (a name, a key, a restore) needs no begin mark: a copy read before it only
   * lacks something, which fails closed. The end mark makes it visible, so its failure is the
   * caller's (a repeat of the request settles it).
   */
  private async adding<T>(name: string, write: () => Promise<T>): Promise<T> {
    const result = await write();
    await this.changeIndex(name, 'log');
    return result;
  }

  /**
   * For an idempotent repeat (say, after a lost reply, or a 503 from a failed index write): logs the
   * name as changed again, so an addition whose index write was lost reaches every container; builds
   * a missing index too.
   */
  private async settleIndex(name: string): Promise<void> {
    await this.changeIndex(name, 'log');
  }

  private async read(name: string): Promise<SecretState> {
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId(name) }));
      if (result.SecretString === undefined || result.VersionId === undefined) {
        throw new KeyStoreIntegrityError(`the secret for "${name}" has no string value`);
      }
      return { state: 'active', record: parseStoredRecord(result.SecretString, name), versionId: result.VersionId };
    } catch (error) {
      switch (errorName(error)) {
        case 'ResourceNotFoundException':
          return { state: 'missing' };
        case 'InvalidRequestException':
          // GetSecretValue answers this for a secret scheduled for deletion: a revoked name.
          return { state: 'revoked' };
        default:
          throw this.unavailable('GetSecretValue', error);
      }
    }
  }

  private unavailable(operation: string, error: unknown): Error {
    if (error instanceof KeyStoreError || error instanceof KeyStoreIntegrityError) return error;
    return new KeyStoreUnavailableError(`Secrets Manager ${operation} failed: ${errorName(error) ?? 'unknown error'}`, { cause: error });
  }

  async getKeys(name: string): Promise<KeyRecord | undefined> {
    const current = await this.read(name);
    return current.state === 'active' ? current.record : undefined;
  }

  async addKey(name: string, key: StoredKey, options: AddKeyOptions = {}): Promise<{ outcome: 'created' | 'added' | 'already_present'; record: KeyRecord }> {
    const first = await this.read(name);
    if (first.state === 'revoked') throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it (POST /keys/${name}/restore) before adding keys`);
    if (first.state === 'active') {
      const change = withKeyAdded(first.record, name, key, options);
      if (change.outcome === 'already_present') {
        await this.settleIndex(name);
        return change;
      }
    }
    return this.adding(name, async () => {
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        const current = attempt === 1 ? first : await this.read(name);
        if (current.state === 'revoked') throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it (POST /keys/${name}/restore) before adding keys`);
        const change = withKeyAdded(current.state === 'active' ? current.record : undefined, name, key, options);
        if (change.outcome === 'already_present') return change;
        const written = current.state === 'active' ? await this.put(name, change.record, current.versionId) : await this.create(name, change.record);
        if (written) return change;
        await backOff(attempt);
      }
      throw new KeyStoreError('conflict', `"${name}" is being changed by someone else; try again`);
    });
  }

  async removeKey(name: string, kid: string): Promise<KeyRecord> {
    const first = await this.read(name);
    withKeyRemoved(first.state === 'active' ? first.record : undefined, name, kid); // refusals before any index write
    return this.removing(name, () =>
      this.rewrite(name, first, (current) => {
        const record = withKeyRemoved(current.state === 'active' ? current.record : undefined, name, kid);
        return { write: record, result: record };
      }),
    );
  }

  /**
   * Read-modify-write of an existing record, compare-and-set: `change` gives the record to write
   * (and what to answer), or only an answer when there is nothing to write; a lost race re-reads.
   */
  private async rewrite<T>(name: string, first: SecretState, change: (current: SecretState) => { write?: KeyRecord; result: T }): Promise<T> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = attempt === 1 ? first : await this.read(name);
      const next = change(current);
      if (!next.write) return next.result;
      if (current.state === 'active' && (await this.put(name, next.write, current.versionId))) return next.result;
      await backOff(attempt);
    }
    throw new KeyStoreError('conflict', `"${name}" is being changed by someone else; try again`);
  }

  /**
   * An access change can take something away (a route, the freedom to use any certificate), so it
   * runs between the index's begin and end marks, as a removal does.
   */
  async changeAccess(name: string, change: AccessChange): Promise<{ outcome: AccessChangeOutcome; record: KeyRecord }> {
    const first = await this.read(name);
    if (first.state === 'revoked') throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it (POST /keys/${name}/restore) before changing its access`);
    const preview = withAccessChanged(first.state === 'active' ? first.record : undefined, name, change); // refusals before any index write
    if (preview.outcome === 'unchanged') {
      await this.settleIndex(name);
      return preview;
    }
    return this.removing(name, () =>
      this.rewrite(name, first, (current) => {
        if (current.state === 'revoked') throw new KeyStoreError('name_revoked', `"${name}" is revoked`);
        const result = withAccessChanged(current.state === 'active' ? current.record : undefined, name, change);
        return result.outcome === 'unchanged' ? { result } : { write: result.record, result };
      }),
    );
  }

  /** Creates the secret; false when another writer created it first (the caller retries as an update). */
  private async create(name: string, record: KeyRecord): Promise<boolean> {
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: this.secretId(name),
          SecretString: serializeRecord(record),
          ClientRequestToken: randomUUID(),
          Description: `keygate public keys for "${name}"`,
          Tags: [{ Key: KEY_NAME_TAG, Value: name }],
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') return false;
      if (errorName(error) === 'InvalidRequestException') throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it before adding keys`);
      throw this.unavailable('CreateSecret', error);
    }
  }

  /** Writes the version that follows `readVersionId`; false when another writer got there first. */
  private async put(name: string, record: KeyRecord, readVersionId: string): Promise<boolean> {
    try {
      const result = await this.client.send(new PutSecretValueCommand({ SecretId: this.secretId(name), SecretString: serializeRecord(record), ClientRequestToken: nextVersionToken(readVersionId) }));
      return isNowCurrent(result.VersionStages);
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') return false;
      if (errorName(error) === 'InvalidRequestException') throw new KeyStoreError('name_revoked', `"${name}" is revoked`);
      if (errorName(error) === 'ResourceNotFoundException') throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
      throw this.unavailable('PutSecretValue', error);
    }
  }

  async listNames(options: { readonly limit: number; readonly nextToken?: string | undefined }): Promise<KeyNamePage> {
    if (options.nextToken !== undefined && !NEXT_TOKEN.test(options.nextToken)) {
      throw new KeyStoreError('invalid_next_token', 'nextToken is not valid; start again without it');
    }
    let page;
    try {
      page = await this.client.send(
        new ListSecretsCommand({
          Filters: this.keySecretFilters,
          MaxResults: options.limit,
          NextToken: options.nextToken,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'InvalidNextTokenException' || errorName(error) === 'InvalidParameterException') {
        throw new KeyStoreError('invalid_next_token', 'nextToken is not valid; start again without it');
      }
      throw this.unavailable('ListSecrets', error);
    }
    const names = (page.SecretList ?? [])
      .map((secret) => secret.Name ?? '')
      .filter((secretName) => secretName.startsWith(this.prefix))
      .map((secretName) => secretName.slice(this.prefix.length))
      .filter(isValidKeyName); // never the index, even if someone tagged it
    const items = await Promise.all(names.map(async (name) => nameSummary(name, (await this.getKeys(name))?.keys ?? [])));
    return { items, nextToken: page.NextToken };
  }

  async revoke(name: string, recoveryWindowDays: number): Promise<RevokeResult> {
    const current = await this.read(name);
    if (current.state === 'missing') throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
    if (current.state === 'revoked') {
      await this.settleIndex(name);
      throw new KeyStoreError('name_revoked', `"${name}" is already revoked`);
    }
    return this.removing(name, async () => {
      try {
        const result = await this.client.send(new DeleteSecretCommand({ SecretId: this.secretId(name), RecoveryWindowInDays: recoveryWindowDays }));
        return { name, deletionDate: (result.DeletionDate ?? new Date(Date.now() + recoveryWindowDays * 86_400_000)).toISOString() };
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
        if (errorName(error) === 'InvalidRequestException') throw new KeyStoreError('name_revoked', `"${name}" is already revoked`);
        throw this.unavailable('DeleteSecret', error);
      }
    });
  }

  async restore(name: string): Promise<{ outcome: RestoreOutcome; record: KeyRecord }> {
    let described;
    try {
      described = await this.client.send(new DescribeSecretCommand({ SecretId: this.secretId(name) }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') throw new KeyStoreError('unknown_key_name', `no revoked name "${name}" can be restored (unknown, or past its recovery window)`);
      throw this.unavailable('DescribeSecret', error);
    }
    if (!described.DeletedDate) {
      // A repeat (say, after a lost reply): the name is active, which is what the caller asked for.
      const record = await this.getKeys(name);
      if (!record) throw new KeyStoreUnavailableError(`"${name}" cannot be read yet; try again`);
      await this.settleIndex(name);
      return { outcome: 'already_active', record };
    }
    await this.adding(name, async () => {
      try {
        await this.client.send(new RestoreSecretCommand({ SecretId: this.secretId(name) }));
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') throw new KeyStoreError('unknown_key_name', `no revoked name "${name}" can be restored (unknown, or past its recovery window)`);
        throw this.unavailable('RestoreSecret', error);
      }
    });
    const record = await this.getKeys(name);
    if (!record) throw new KeyStoreUnavailableError(`"${name}" was restored but cannot be read yet; try again`);
    return { outcome: 'restored', record };
  }
}
