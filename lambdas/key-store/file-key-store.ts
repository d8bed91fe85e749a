import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { isValidKeyName } from '../core/limits.js';
import { withAccessChanged, withKeyAdded, withKeyRemoved } from './key-changes.js';
import { KeyStoreError, KeyStoreIntegrityError, nameSummary, type AccessChange, type AccessChangeOutcome, type AddKeyOptions, type KeyNamePage, type KeyRecord, type KeyStore, type RestoreOutcome, type RevokeResult, type StoredKey } from './key-store.js';
import { indexOfNames, parseIndex, serializeIndex, withNameChange, type NameIndexData } from './name-index.js';
import { parseStoredRecord } from './stored-record.js';

interface FileEntry {
  record: KeyRecord;
  /** Set while the name is revoked: when the recovery window ends. */
  deletionDate?: string | undefined;
}

const fileSchema = z.object({
  version: z.literal(1),
  names: z.record(z.string(), z.unknown()),
  /** The name index (name-index.ts), rewritten with every change; files from before it have none. */
  index: z.string().optional(),
});

const entrySchema = z.object({ record: z.unknown(), deletionDate: z.iso.datetime().optional() });

/**
 * The entries of one read of the file. A malformed entry is kept apart as it was found: reads
 * skip it, a write to another name writes it back unchanged, a write to its name is refused.
 */
class FileEntries extends Map<string, FileEntry> {
  readonly malformed = new Map<string, { readonly raw: unknown; readonly problem: string }>();
  /** The stored name index, parsed only when asked for: most operations never need it. */
  indexText: string | undefined;

  /** A damaged index is rebuilt from the names, as the Secrets Manager store does: it never blocks writes. */
  index(): NameIndexData {
    if (this.indexText !== undefined) {
      try {
        return parseIndex(this.indexText);
      } catch (error) {
        if (!(error instanceof KeyStoreIntegrityError)) throw error;
      }
    }
    return indexOfNames(this.keys());
  }
}

/** How a name from the file is shown in a warning: it may be anything, so quoted and bounded. */
function shownName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

function parseEntry(name: string, raw: unknown): FileEntry | string {
  if (!isValidKeyName(name)) return 'not a valid key name';
  const entry = entrySchema.safeParse(raw);
  if (!entry.success) return 'not an object with a record and an ISO 8601 deletionDate';
  try {
    return { record: parseStoredRecord(JSON.stringify(entry.data.record), name), deletionDate: entry.data.deletionDate };
  } catch (error) {
    if (error instanceof KeyStoreIntegrityError) return error.message;
    throw error;
  }
}

/**
 * The local-mode key store: one JSON file, replaced atomically (write to a temporary file, then
 * rename), with the same behaviour as the Secrets Manager store. Writes within a process are
 * serialized; the file is re-read for every operation.
 */
/** One queue per file, shared by every instance in the process, so two instances never interleave writes. */
const queues = new Map<string, Promise<unknown>>();

export class FileKeyStore implements KeyStore {
  private readonly path: string;

  /** Each malformed entry is named once per instance, not on every read of the file. */
  private readonly warned = new Set<string>();

  constructor(
    path: string,
    private readonly now: () => Date = () => new Date(),
    private readonly warn: (message: string) => void = (message) => process.stderr.write(`keygate: warning: ${message}\n`),
  ) {
    this.path = resolve(path);
  }

  private async load(): Promise<FileEntries> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new FileEntries();
      throw error;
    }
    let parsed;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch {
      throw new KeyStoreIntegrityError(`${this.path} is not a keygate key store file`);
    }
    const entries = new FileEntries();
    for (const [name, raw] of Object.entries(parsed.names)) {
      const entry = parseEntry(name, raw);
      if (typeof entry === 'string') {
        entries.malformed.set(name, { raw, problem: entry });
        this.warnOnce(name, entry);
        continue;
      }
      if (entry.deletionDate && new Date(entry.deletionDate) <= this.now()) continue; // past its recovery window: gone
      entries.set(name, entry);
    }
    entries.indexText = parsed.index;
    return entries;
  }

  private warnOnce(name: string, problem: string): void {
    const key = `${name}\u0000${problem}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(`${this.path}: skipping the malformed entry ${shownName(name)} (${problem}); that name is refused until the entry is fixed or removed`);
  }

  /** Loads the file for an operation on `name`, refusing when that name's entry is malformed (never read as absent, never overwritten blindly). */
  private async loadFor(name: string): Promise<FileEntries> {
    const entries = await this.load();
    const malformed = entries.malformed.get(name);
    if (malformed) throw new KeyStoreIntegrityError(`the entry ${shownName(name)} in ${this.path} is malformed (${malformed.problem})`);
    return entries;
  }

  /** Writes the entries with `changed` recorded in the index, in one atomic replace. */
  private async save(entries: FileEntries, changed: string): Promise<void> {
    const index = withNameChange(entries.index(), changed, 'log', Math.floor(this.now().getTime() / 1000));
    const all = [...entries, ...[...entries.malformed].map(([name, { raw }]) => [name, raw] as const)];
    const names = Object.fromEntries(all.sort(([a], [b]) => a.localeCompare(b)));
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ version: 1, names, index: serializeIndex(index) }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.path);
  }

  async readNameIndex(): Promise<NameIndexData> {
    return (await this.load()).index();
  }

  /** Runs read-modify-write operations one after another. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = (queues.get(this.path) ?? Promise.resolve()).then(work, work);
    queues.set(this.path, run.catch(() => undefined));
    return run;
  }

  async getKeys(name: string): Promise<KeyRecord | undefined> {
    const entry = (await this.loadFor(name)).get(name);
    return entry && !entry.deletionDate ? entry.record : undefined;
  }

  addKey(name: string, key: StoredKey, options: AddKeyOptions = {}): Promise<{ outcome: 'created' | 'added' | 'already_present'; record: KeyRecord }> {
    return this.exclusive(async () => {
      const entries = await this.loadFor(name);
      const entry = entries.get(name);
      if (entry?.deletionDate) throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it (POST /keys/${name}/restore) before adding keys`);
      const change = withKeyAdded(entry?.record, name, key, options);
      if (change.outcome !== 'already_present') {
        entries.set(name, { record: change.record });
        await this.save(entries, name);
      }
      return change;
    });
  }

  removeKey(name: string, kid: string): Promise<KeyRecord> {
    return this.exclusive(async () => {
      const entries = await this.loadFor(name);
      const entry = entries.get(name);
      const record = withKeyRemoved(entry && !entry.deletionDate ? entry.record : undefined, name, kid);
      entries.set(name, { record });
      await this.save(entries, name);
      return record;
    });
  }

  changeAccess(name: string, change: AccessChange): Promise<{ outcome: AccessChangeOutcome; record: KeyRecord }> {
    return this.exclusive(async () => {
      const entries = await this.loadFor(name);
      const entry = entries.get(name);
      if (entry?.deletionDate) throw new KeyStoreError('name_revoked', `"${name}" is revoked; restore it (POST /keys/${name}/restore) before changing its access`);
      const result = withAccessChanged(entry?.record, name, change);
      if (result.outcome === 'changed') {
        entries.set(name, { record: result.record });
        await this.save(entries, name);
      }
      return result;
    });
  }

  async listNames(options: { readonly limit: number; readonly nextToken?: string | undefined }): Promise<KeyNamePage> {
    let after = '';
    if (options.nextToken !== undefined) {
      after = Buffer.from(options.nextToken, 'base64url').toString('utf8');
      if (!isValidKeyName(after) || Buffer.from(after).toString('base64url') !== options.nextToken) {
        throw new KeyStoreError('invalid_next_token', 'nextToken is not valid; start again without it');
      }
    }
    const active = [...(await this.load())].filter(([name, entry]) => !entry.deletionDate && name > after).sort(([a], [b]) => (a < b ? -1 : 1));
    const page = active.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(([name, entry]) => nameSummary(name, entry.record.keys)),
      nextToken: active.length > options.limit && last ? Buffer.from(last[0]).toString('base64url') : undefined,
    };
  }

  revoke(name: string, recoveryWindowDays: number): Promise<RevokeResult> {
    return this.exclusive(async () => {
      const entries = await this.loadFor(name);
      const entry = entries.get(name);
      if (!entry) throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
      if (entry.deletionDate) throw new KeyStoreError('name_revoked', `"${name}" is already revoked`);
      const deletionDate = new Date(this.now().getTime() + recoveryWindowDays * 86_400_000).toISOString();
      entries.set(name, { record: entry.record, deletionDate });
      await this.save(entries, name);
      return { name, deletionDate };
    });
  }

  restore(name: string): Promise<{ outcome: RestoreOutcome; record: KeyRecord }> {
    return this.exclusive(async () => {
      const entries = await this.loadFor(name);
      const entry = entries.get(name);
      if (!entry) throw new KeyStoreError('unknown_key_name', `no revoked name "${name}" can be restored (unknown, or past its recovery window)`);
      if (!entry.deletionDate) return { outcome: 'already_active', record: entry.record };
      entries.set(name, { record: entry.record });
      await this.save(entries, name);
      return { outcome: 'restored', record: entry.record };
    });
  }
}
