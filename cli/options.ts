import { InvalidArgumentError } from 'commander';
import { MAX_KEY_AGE_DAYS_RANGE } from '../lambdas/core/config.js';
import { SECONDS_PER_DAY } from '../lambdas/core/key-age.js';
import { isValidKeyName } from '../lambdas/core/limits.js';

/** A commander argument parser for an integer within bounds; commander turns the throw into a usage error. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return parsed;
  };
}

export function keyName(value: string): string {
  if (!isValidKeyName(value)) {
    throw new InvalidArgumentError('a key name is 1-64 characters of A-Za-z0-9._- starting with a letter or digit.');
  }
  return value;
}

export function rsaBits(value: string): number {
  if (value !== '2048' && value !== '3072' && value !== '4096') throw new InvalidArgumentError('expected 2048, 3072 or 4096.');
  return Number(value);
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

export function isoDate(value: string): Date {
  const date = new Date(value);
  if (!ISO_DATE_TIME.test(value) || Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-11-23T19:20:00Z.');
  return date;
}

const AGE = /^(\d{1,6})(d|h)$/;
const AGE_UNIT_SECONDS = { d: SECONDS_PER_DAY, h: 3600 } as const;
/** The longest age `--older-than` takes: the most KEYGATE_MAX_KEY_AGE_DAYS allows. */
const MAX_AGE_SECONDS = MAX_KEY_AGE_DAYS_RANGE.max * SECONDS_PER_DAY;

/** An age such as `365d` or `12h`, in seconds (1 hour to 3650 days). */
export function ageSeconds(value: string): number {
  const match = AGE.exec(value);
  const seconds = match ? Number(match[1]) * AGE_UNIT_SECONDS[match[2] as keyof typeof AGE_UNIT_SECONDS] : Number.NaN;
  if (!(seconds >= 3600 && seconds <= MAX_AGE_SECONDS)) throw new InvalidArgumentError(`expected a whole number of days or hours such as 365d or 12h, from 1h to ${MAX_KEY_AGE_DAYS_RANGE.max}d.`);
  return seconds;
}
