import type { BindingPolicy } from '../core/certificate-binding.js';
import { importStoredJwk, type KeySizeLimits } from '../core/key-material.js';
import type { VerificationKey } from '../core/verify-token.js';
import { KeyStoreIntegrityError, type KeyStore } from './key-store.js';

export interface KeyCacheOptions {
  /** How long a name's keys are reused before a re-read. */
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
}

/** `over-budget`: a name not known to have keys was not looked up because the unknown-name budget is spent. */
export type KeyLookupSource = 'cache' | 'store' | 'stale' | 'over-budget';

export interface KeyLookup {
  /** The name's usable keys; undefined for an unknown, revoked or deleted name. */
  readonly keys: readonly VerificationKey[] | undefined;
  /** The name's certificate binding, as stored (undefined: none was recorded). */
  readonly binding: BindingPolicy | undefined;
  readonly source: KeyLookupSource;
}

interface CacheEntry {
  readonly keys: readonly VerificationKey[];
  readonly binding: BindingPolicy | undefined;
  readonly expiresAt: number;
  readonly staleUntil: number;
}

/** Insertion-ordered map with a size bound: re-setting a key moves it last, the first is dropped. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly maxSize: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
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
 * The authorizer's view of the key store: imported key objects reused for a bounded time, unknown
 * names remembered briefly, concurrent look-ups of one name coalesced, a bounded stale window for
 * known names when the store fails, and a budget on every read of a name not known to have keys.
 */
export class CachingKeyResolver {
  private readonly known: BoundedMap<CacheEntry>;
  private readonly unknown: BoundedMap<number>;
  private readonly inFlight = new Map<string, Promise<KeyLookup>>();
  private readonly now: () => number;
  private readonly budget: { readonly perSecond: number; readonly burst: number };
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly store: Pick<KeyStore, 'getKeys'>,
    private readonly options: KeyCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.known = new BoundedMap(options.maxEntries ?? 10_000);
    this.unknown = new BoundedMap(options.maxUnknownEntries ?? 10_000);
    this.budget = options.unknownNameBudget ?? { perSecond: 20, burst: 40 };
    this.tokens = this.budget.burst;
    this.refilledAt = this.now();
  }

  resolve(name: string): Promise<KeyLookup> | KeyLookup {
    const now = this.now();
    const entry = this.known.get(name);
    if (entry && now < entry.expiresAt) return { keys: entry.keys, binding: entry.binding, source: 'cache' };
    if (!entry) {
      const unknownUntil = this.unknown.get(name);
      if (unknownUntil !== undefined && now < unknownUntil) return { keys: undefined, binding: undefined, source: 'cache' };
    }
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    // Only the re-read of a name known to have keys is free: their number is set by registrations,
    // not by whoever sends tokens.
    if (!entry && !this.spendUnknownNameToken(now)) return { keys: undefined, binding: undefined, source: 'over-budget' };
    const lookup = this.fetch(name, entry).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, lookup);
    return lookup;
  }

  private spendUnknownNameToken(now: number): boolean {
    this.tokens = Math.min(this.budget.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.budget.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async fetch(name: string, previous: CacheEntry | undefined): Promise<KeyLookup> {
    let keys: VerificationKey[] | undefined;
    let binding: BindingPolicy | undefined;
    try {
      const record = await this.store.getKeys(name);
      keys = record ? this.importKeys(name, record.keys) : undefined;
      binding = record?.binding;
    } catch (error) {
      if (error instanceof KeyStoreIntegrityError) {
        this.options.onIntegrityError?.(name, error);
        keys = [];
      } else {
        if (previous && this.now() < previous.staleUntil) return { keys: previous.keys, binding: previous.binding, source: 'stale' };
        throw error;
      }
    }
    const now = this.now();
    if (keys) {
      const expiresAt = now + this.options.keyCacheSeconds * 1000;
      this.unknown.delete(name);
      this.known.set(name, { keys, binding, expiresAt, staleUntil: expiresAt + this.options.staleIfErrorSeconds * 1000 });
    } else {
      this.known.delete(name);
      this.unknown.set(name, now + this.options.unknownKeyCacheSeconds * 1000);
    }
    return { keys, binding, source: 'store' };
  }

  private importKeys(name: string, stored: readonly { kid: string; jwk: unknown }[]): VerificationKey[] {
    const keys: VerificationKey[] = [];
    for (const key of stored) {
      try {
        keys.push(importStoredJwk(key.jwk, key.kid, this.options.keySizeLimits));
      } catch (error) {
        this.options.onIntegrityError?.(name, error as Error);
      }
    }
    return keys;
  }
}
