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
  /** Most names held; the oldest is dropped first. @default 10000 */
  readonly maxEntries?: number;
  /**
   * Reads of names the cache knows nothing about, as a token bucket: at most `burst + perSecond × t`
   * in any t seconds. Tokens naming random unknown keys cost nothing to forge, so without this a
   * flood would become one key-store read per token. Past the budget the name is treated as
   * unknown (a denial, never a fault: a 5xx for uncached names would tell an attacker which names
   * are cached, that is, in use). @default { perSecond: 20, burst: 40 }
   */
  readonly unknownNameBudget?: { readonly perSecond: number; readonly burst: number };
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Called for every stored key (or record) that fails the key-material checks; it is never used. */
  readonly onIntegrityError?: (name: string, error: Error) => void;
}

/** `over-budget`: a never-seen name was not looked up because the unknown-name budget is spent. */
export type KeyLookupSource = 'cache' | 'store' | 'stale' | 'over-budget';

export interface KeyLookup {
  /** The name's usable keys; undefined for an unknown, revoked or deleted name. */
  readonly keys: readonly VerificationKey[] | undefined;
  /** The name's certificate binding, as stored (undefined: none was recorded). */
  readonly binding: BindingPolicy | undefined;
  readonly source: KeyLookupSource;
}

interface CacheEntry {
  readonly keys: readonly VerificationKey[] | undefined;
  readonly binding: BindingPolicy | undefined;
  readonly expiresAt: number;
  readonly staleUntil: number;
}

/**
 * The authorizer's view of the key store: imported key objects reused for a bounded time, unknown
 * names remembered briefly, concurrent look-ups of one name coalesced, a bounded stale window for
 * known names when the store fails, and a budget on reads of never-seen names.
 */
export class CachingKeyResolver {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<KeyLookup>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly budget: { readonly perSecond: number; readonly burst: number };
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly store: Pick<KeyStore, 'getKeys'>,
    private readonly options: KeyCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.budget = options.unknownNameBudget ?? { perSecond: 20, burst: 40 };
    this.tokens = this.budget.burst;
    this.refilledAt = this.now();
  }

  resolve(name: string): Promise<KeyLookup> | KeyLookup {
    const entry = this.entries.get(name);
    if (entry && this.now() < entry.expiresAt) return { keys: entry.keys, binding: entry.binding, source: 'cache' };
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    if (!entry && !this.spendUnknownNameToken()) return { keys: undefined, binding: undefined, source: 'over-budget' };
    const lookup = this.fetch(name, entry).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, lookup);
    return lookup;
  }

  private spendUnknownNameToken(): boolean {
    const now = this.now();
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
        if (previous?.keys && this.now() < previous.staleUntil) return { keys: previous.keys, binding: previous.binding, source: 'stale' };
        throw error;
      }
    }
    const now = this.now();
    const ttl = (keys ? this.options.keyCacheSeconds : this.options.unknownKeyCacheSeconds) * 1000;
    this.remember(name, { keys, binding, expiresAt: now + ttl, staleUntil: keys ? now + ttl + this.options.staleIfErrorSeconds * 1000 : 0 });
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

  private remember(name: string, entry: CacheEntry): void {
    this.entries.delete(name);
    this.entries.set(name, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
