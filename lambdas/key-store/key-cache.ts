import type { KeyLookup as PipelineKeyLookup } from '../core/authorization.js';
import type { BindingPolicy } from '../core/certificate-binding.js';
import { addedAtSecondsOf, type DatedKey } from '../core/key-age.js';
import { importStoredJwk, type KeySizeLimits } from '../core/key-material.js';
import { nameAccessOf, type NameAccess } from '../core/name-access.js';
import type { VerificationKey } from '../core/token-checks.js';
import { KeyStoreIntegrityError, KeyStoreUnavailableError, type KeyStore } from './key-store.js';
import { changedSince, filterMayContain, hashName, type NameIndexData } from './name-index.js';

/**
 * The longest a name's keys are kept on the index's word alone. Changes made through the registration
 * API reach warm containers within the key-cache window (the index logs them); this bounds what the
 * index cannot see: a secret changed outside keygate (console, CLI) or a record read that was behind.
 * At one read per name in use per container per 6 hours it costs little (docs/capacity.md).
 */
export const VOUCHED_MAX_MS = 6 * 3600 * 1000;

/** After a failed read of the name index, the next attempt waits this long (not one read per request). */
export const INDEX_RETRY_MS = 1_000;

export interface KeyCacheOptions {
  /** How often the name index is read; without one, how long a name's keys are reused before a re-read. */
  readonly keyCacheSeconds: number;
  /** How long an unknown name is remembered. */
  readonly unknownKeyCacheSeconds: number;
  /** How long past expiry a known name's keys may be served while the store fails. */
  readonly staleIfErrorSeconds: number;
  readonly keySizeLimits: KeySizeLimits;
  /** Most names with keys held; the one read from the store longest ago is dropped first. @default 10000 */
  readonly maxEntries?: number;
  /**
   * Most unknown names remembered, held apart from the names with keys so that made-up names can
   * never push a real one out. @default 10000
   */
  readonly maxUnknownEntries?: number;
  /**
   * Reads of names not known to have keys (never seen, or remembered as unknown and due for a
   * re-read), as a token bucket: at most `burst + perSecond × t` in any t seconds. Tokens naming
   * random unknown keys cost nothing to forge, so without this a flood would become one key-store
   * read per token. Past the budget the name is treated as unknown (a denial, never a fault: a 5xx
   * for uncached names would tell an attacker which names are cached, that is, in use).
   * @default { perSecond: 20, burst: 40 }
   */
  readonly unknownNameBudget?: { readonly perSecond: number; readonly burst: number };
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Called for every stored key (or record) that fails the key-material checks; it is never used. */
  readonly onIntegrityError?: (name: string, error: Error) => void;
  /** Called when a read of the name index fails (names not cached fail closed until it is read again). */
  readonly onIndexFault?: (error: Error) => void;
  /** Called when the store has no name index (then every name is read as without one, within the budget). */
  readonly onIndexMissing?: () => void;
}

/** The name index could not be read, and the name is not cached: fail closed (never a denial). */
export class KeyIndexUnavailableError extends KeyStoreUnavailableError {
  override readonly name = 'KeyIndexUnavailableError';
}

/**
 * `over-budget`: a name not known to have keys was not looked up because the unknown-name budget is
 * spent (only without a name index). `index`: the name index says the name is not registered.
 */
export type KeyLookupSource = 'cache' | 'store' | 'stale' | 'over-budget' | 'index';

/** The pipeline's look-up (keys and binding), with where the answer came from. */
export interface KeyLookup extends PipelineKeyLookup {
  readonly source: KeyLookupSource;
}

type CachedKey = VerificationKey & DatedKey;

interface CacheEntry {
  readonly keys: readonly CachedKey[];
  readonly binding: BindingPolicy | undefined;
  readonly access: NameAccess | undefined;
  /** The name's id in the index's change log. */
  readonly id: number;
  /** Kept on the index's word (until it logs a change, at most VOUCHED_MAX_MS), not for the key-cache window. */
  vouched: boolean;
  expiresAt: number;
  staleUntil: number;
}

interface UnknownEntry {
  readonly id: number;
  readonly until: number;
}

/** What the resolver knows of the name index. `off`: the store has none, or the key cache is off. */
type IndexView =
  | { readonly mode: 'off' }
  | { readonly mode: 'unread' }
  | { readonly mode: 'ok'; readonly index: NameIndexData; readonly at: number }
  | { readonly mode: 'missing'; readonly at: number }
  | { readonly mode: 'unreadable'; readonly at: number };

/** Insertion-ordered map with a size bound: re-setting a key moves it last, the first is dropped. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly maxSize: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  deleteWhere(drop: (value: V) => boolean): void {
    for (const [key, value] of this.map) if (drop(value)) this.map.delete(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.maxSize) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/**
 * The authorizer's view of the key store: imported key objects reused, unknown names remembered
 * briefly, concurrent look-ups of one name coalesced, a bounded stale window for known names when the
 * store fails.
 *
 * With a name index (read once per key-cache window): a name the index does not hold is refused
 * without a read; a registered name is read once and kept until the index logs a change to it (or
 * the index cannot vouch for it: pending write, log too short, index unreadable or missing, where
 * the key-cache window applies as without an index). Without one, every read of a name not known to
 * have keys spends from a budget.
 */
export class CachingKeyResolver {
  private readonly known: BoundedMap<CacheEntry>;
  private readonly unknown: BoundedMap<UnknownEntry>;
  private readonly inFlight = new Map<string, Promise<KeyLookup>>();
  private readonly now: () => number;
  private readonly budget: { readonly perSecond: number; readonly burst: number };
  private readonly cacheMs: number;
  private tokens: number;
  private refilledAt: number;
  private view: IndexView;
  /** The last index read successfully: changes are taken relative to it. */
  private lastIndex: NameIndexData | undefined;
  private indexRead: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<KeyStore, 'getKeys'> & Partial<Pick<KeyStore, 'readNameIndex'>>,
    private readonly options: KeyCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.known = new BoundedMap(options.maxEntries ?? 10_000);
    this.unknown = new BoundedMap(options.maxUnknownEntries ?? 10_000);
    this.budget = options.unknownNameBudget ?? { perSecond: 20, burst: 40 };
    this.cacheMs = options.keyCacheSeconds * 1000;
    this.tokens = this.budget.burst;
    this.refilledAt = this.now();
    // With no key cache every request reads its name anyway: an index read per request would only add one.
    this.view = store.readNameIndex && options.keyCacheSeconds > 0 ? { mode: 'unread' } : { mode: 'off' };
  }

  resolve(name: string): Promise<KeyLookup> | KeyLookup {
    const now = this.now();
    if (this.indexDue(now)) return this.readIndex().then(() => this.lookup(name, this.now()));
    return this.lookup(name, now);
  }

  private indexDue(now: number): boolean {
    switch (this.view.mode) {
      case 'off':
        return false;
      case 'unread':
        return true;
      case 'unreadable':
        return now >= this.view.at + INDEX_RETRY_MS;
      default:
        return now >= this.view.at + this.cacheMs;
    }
  }

  private lookup(name: string, now: number): Promise<KeyLookup> | KeyLookup {
    const entry = this.known.get(name);
    if (entry && now < entry.expiresAt) return { keys: entry.keys, binding: entry.binding, access: entry.access, source: 'cache' };
    const view = this.view;
    if (!entry) {
      if (view.mode === 'ok' && !filterMayContain(view.index.filter, hashName(name))) return { keys: undefined, binding: undefined, source: 'index' };
      const unknown = this.unknown.get(name);
      if (unknown !== undefined && now < unknown.until) return { keys: undefined, binding: undefined, source: 'cache' };
    }
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    if (!entry) {
      if (view.mode === 'unreadable') throw new KeyIndexUnavailableError('the name index could not be read and the name is not cached');
      // Only the re-read of a name known to have keys is free: their number is set by registrations,
      // not by whoever sends tokens. With an index, made-up names never get this far.
      if (view.mode !== 'ok' && !this.spendUnknownNameToken(now)) return { keys: undefined, binding: undefined, source: 'over-budget' };
    }
    const lookup = this.fetch(name, entry).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, lookup);
    return lookup;
  }

  private readIndex(): Promise<void> {
    this.indexRead ??= this.refreshIndex().finally(() => (this.indexRead = undefined));
    return this.indexRead;
  }

  private async refreshIndex(): Promise<void> {
    let index: NameIndexData | undefined;
    try {
      index = await this.store.readNameIndex!();
    } catch (error) {
      this.distrustAll(this.now());
      this.view = { mode: 'unreadable', at: this.now() };
      this.options.onIndexFault?.(error as Error);
      return;
    }
    const now = this.now();
    if (!index) {
      this.distrustAll(now);
      this.lastIndex = undefined;
      this.view = { mode: 'missing', at: now };
      this.options.onIndexMissing?.();
      return;
    }
    const changed = this.lastIndex ? changedSince(index, this.lastIndex.seq) : undefined;
    if (changed) {
      this.known.deleteWhere((entry) => changed.has(entry.id));
      this.unknown.deleteWhere((entry) => changed.has(entry.id));
    } else {
      this.distrustAll(now);
      this.unknown.deleteWhere(() => true);
    }
    this.lastIndex = index;
    this.view = { mode: 'ok', index, at: now };
  }

  /** The index can no longer vouch for cached keys: each is re-read on its next use (stale-if-error applies). */
  private distrustAll(now: number): void {
    for (const entry of this.known.values()) {
      if (entry.vouched) {
        entry.vouched = false;
        entry.expiresAt = now;
        entry.staleUntil = now + this.options.staleIfErrorSeconds * 1000;
      }
    }
  }

  private spendUnknownNameToken(now: number): boolean {
    this.tokens = Math.min(this.budget.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.budget.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async fetch(name: string, previous: CacheEntry | undefined): Promise<KeyLookup> {
    const basis = this.view;
    let keys: CachedKey[] | undefined;
    let binding: BindingPolicy | undefined;
    let access: NameAccess | undefined;
    try {
      const record = await this.store.getKeys(name);
      keys = record ? this.importKeys(name, record.keys) : undefined;
      binding = record?.binding;
      access = record ? nameAccessOf(record) : undefined;
      if (record && !access) throw new KeyStoreIntegrityError(`the route permissions or certificate pins stored for "${name}" are not valid`);
    } catch (error) {
      if (error instanceof KeyStoreIntegrityError) {
        this.options.onIntegrityError?.(name, error);
        keys = [];
      } else {
        if (previous && this.now() < previous.staleUntil) return { keys: previous.keys, binding: previous.binding, access: previous.access, source: 'stale' };
        throw error;
      }
    }
    const now = this.now();
    const { id } = hashName(name);
    if (keys) {
      // Vouched for only if the index read before this read is still the current one (a change logged
      // in between may have come after the read) and no write of the name is in progress.
      const current = this.view;
      const vouched = basis.mode === 'ok' && current.mode === 'ok' && current.index.seq === basis.index.seq && !current.index.pending.has(id);
      const expiresAt = now + (vouched ? VOUCHED_MAX_MS : this.cacheMs);
      this.unknown.delete(name);
      this.known.set(name, { keys, binding, access, id, vouched, expiresAt, staleUntil: expiresAt + this.options.staleIfErrorSeconds * 1000 });
    } else {
      this.known.delete(name);
      this.unknown.set(name, { id, until: now + this.options.unknownKeyCacheSeconds * 1000 });
    }
    return { keys, binding, access, source: 'store' };
  }
  private importKeys(name: string, stored: readonly { kid: string; jwk: unknown; addedAt: string }[]): CachedKey[] {
    const keys: CachedKey[] = [];
    for (const key of stored) {
      try {
        // An addedAt that is not a date leaves the age unknown: a key-age limit then refuses the key.
        keys.push({ ...importStoredJwk(key.jwk, key.kid, this.options.keySizeLimits), addedAtSeconds: addedAtSecondsOf(key.addedAt) });
      } catch (error) {
        this.options.onIntegrityError?.(name, error as Error);
      }
    }
    return keys;
  }
}
