/** How often one container warns about the same kid. */
export const KEY_AGE_WARNING_INTERVAL_MS = 3600 * 1000;

/** Most kids remembered; past it the one warned about longest ago is forgotten (and may be warned about again). */
export const DEFAULT_MAX_WARNED_KIDS = 20_000;

/**
 * Decides when a key near its age limit is worth a log line: at most once per kid per interval in a
 * container, so a busy name does not write a warning per request. The memory is bounded.
 */
export class KeyAgeWarnings {
  /** kid → when it was last warned about; insertion order is warning order. */
  private readonly warnedAt = new Map<string, number>();

  constructor(private readonly maxKids = DEFAULT_MAX_WARNED_KIDS) {}

  /** True when `kid` should be warned about now (and records that it was). */
  shouldWarn(kid: string, nowMs: number): boolean {
    const last = this.warnedAt.get(kid);
    if (last !== undefined && nowMs - last < KEY_AGE_WARNING_INTERVAL_MS) return false;
    this.warnedAt.delete(kid);
    this.warnedAt.set(kid, nowMs);
    if (this.warnedAt.size > this.maxKids) {
      const oldest = this.warnedAt.keys().next();
      if (!oldest.done) this.warnedAt.delete(oldest.value);
    }
    return true;
  }

  /** How many kids are remembered (for the bound's test). */
  get size(): number {
    return this.warnedAt.size;
  }
}
