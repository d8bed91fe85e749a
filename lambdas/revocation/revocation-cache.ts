import { revocationKey, revokedEntryKey } from '../core/revocation.js';
import type { RevocationStore } from './revocation-store.js';

/**
 * The authorizer's copy of the revocation list: re-read at most every `cacheSeconds` (the longest a
 * newly revoked certificate keeps working), concurrent refreshes coalesced, and the previous copy
 * kept for `staleIfErrorSeconds` while the store fails; past that, faults propagate (fail closed).
 */
export class RevocationCache {
  private revoked: ReadonlySet<string> | undefined;
  private expiresAt = 0;
  private staleUntil = 0;
  private refreshing: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly store: Pick<RevocationStore, 'list'>,
    private readonly options: { readonly cacheSeconds: number; readonly staleIfErrorSeconds: number; readonly now?: () => number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async isRevoked(canonicalIssuer: string, serialNumber: string): Promise<boolean> {
    const revoked = this.revoked && this.now() < this.expiresAt ? this.revoked : await this.refresh();
    return revoked.has(revocationKey(canonicalIssuer, serialNumber));
  }

  private refresh(): Promise<ReadonlySet<string>> {
    this.refreshing ??= (async () => {
      try {
        const entries = await this.store.list();
        const now = this.now();
        this.revoked = new Set(entries.map(revokedEntryKey));
        this.expiresAt = now + this.options.cacheSeconds * 1000;
        this.staleUntil = this.expiresAt + this.options.staleIfErrorSeconds * 1000;
        return this.revoked;
      } catch (error) {
        if (this.revoked && this.now() < this.staleUntil) return this.revoked;
        throw error;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
