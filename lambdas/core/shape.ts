/**
 * Small checks for values keygate itself wrote (stored records, the revocation list). The HTTP edge
 * validates with zod; these stay out of the authorizer's bundle, where zod alone would be half of
 * the code to load at cold start.
 */
export type Plain = Record<string, unknown>;

/** A JSON object with no members beyond `allowed` (unknown members mean someone else wrote it). */
export function isStrictObject(value: unknown, allowed: readonly string[]): value is Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.keys(value).every((key) => allowed.includes(key));
}

export function isBoundedString(value: unknown, maxLength: number, pattern?: RegExp): value is string {
  return typeof value === 'string' && value.length <= maxLength && (pattern === undefined || pattern.test(value));
}

export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
