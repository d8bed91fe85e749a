import { deny, type Denial } from './reasons.js';

export const SECONDS_PER_DAY = 86_400;

/** How many days before the limit the authorizer starts warning about a key (DESIGN.md is silent; issue 16). */
export const KEY_AGE_WARNING_DAYS = 30;

/** A stored key's registration time, carried next to the imported key. */
export interface DatedKey {
  readonly kid: string;
  /** When the key was registered (its stored `addedAt`); undefined when not known (a key from a file). */
  readonly addedAtSeconds?: number | undefined;
}

/** When the key with `kid` was registered; undefined when the key or its date is unknown. */
export function addedAtOf(keys: readonly DatedKey[] | undefined, kid: string): number | undefined {
  return keys?.find((key) => key.kid === kid)?.addedAtSeconds;
}

/** Age in days (fractional; 0 for a date in the future, which a clock step back can give). */
export function keyAgeDays(addedAtSeconds: number, nowSeconds: number): number {
  return Math.max(0, nowSeconds - addedAtSeconds) / SECONDS_PER_DAY;
}

/**
 * The key-age policy: with a limit, a key registered more than `maxKeyAgeDays` days ago is refused
 * (exactly at the limit still passes), and so is a key whose date is unknown (fail closed). Without
 * one, nothing is refused. The public reason stays invalid_signature: nothing tells the caller why.
 */
export function checkKeyAge(addedAtSeconds: number | undefined, nowSeconds: number, maxKeyAgeDays: number | undefined): Denial | undefined {
  if (maxKeyAgeDays === undefined) return undefined;
  if (addedAtSeconds === undefined) return deny('key_expired', 'the key that verified has no registration date and a key-age limit is set');
  const ageSeconds = nowSeconds - addedAtSeconds;
  if (ageSeconds <= maxKeyAgeDays * SECONDS_PER_DAY) return undefined;
  return deny('key_expired', `the key that verified was registered ${Math.floor(ageSeconds / SECONDS_PER_DAY)} days ago, over the limit of ${maxKeyAgeDays} days (KEYGATE_MAX_KEY_AGE_DAYS)`);
}

/** Whether a key of this age is within KEY_AGE_WARNING_DAYS of the limit (or past it) and worth a warning. */
export function isNearKeyAgeLimit(ageDays: number, maxKeyAgeDays: number | undefined): boolean {
  return maxKeyAgeDays !== undefined && ageDays > maxKeyAgeDays - KEY_AGE_WARNING_DAYS;
}

/** Parses an ISO 8601 `addedAt` to seconds since the epoch; undefined when it is not a date. */
export function addedAtSecondsOf(addedAt: string): number | undefined {
  const milliseconds = Date.parse(addedAt);
  return Number.isFinite(milliseconds) ? Math.floor(milliseconds / 1000) : undefined;
}
