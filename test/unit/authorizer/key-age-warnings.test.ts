import { describe, expect, it } from 'vitest';
import { KEY_AGE_WARNING_INTERVAL_MS, KeyAgeWarnings } from '../../../lambdas/authorizer/key-age-warnings.js';

const T0 = 1_790_000_000_000;

describe('KeyAgeWarnings', () => {
  it('warns about a kid once per hour', () => {
    const warnings = new KeyAgeWarnings();
    expect(warnings.shouldWarn('kid-a', T0)).toBe(true);
    expect(warnings.shouldWarn('kid-a', T0 + 1000)).toBe(false);
    expect(warnings.shouldWarn('kid-a', T0 + KEY_AGE_WARNING_INTERVAL_MS - 1)).toBe(false);
    expect(warnings.shouldWarn('kid-a', T0 + KEY_AGE_WARNING_INTERVAL_MS)).toBe(true);
    expect(warnings.shouldWarn('kid-a', T0 + KEY_AGE_WARNING_INTERVAL_MS + 1)).toBe(false);
  });

  it('keeps each kid apart', () => {
    const warnings = new KeyAgeWarnings();
    expect(warnings.shouldWarn('kid-a', T0)).toBe(true);
    expect(warnings.shouldWarn('kid-b', T0)).toBe(true);
    expect(warnings.shouldWarn('kid-a', T0)).toBe(false);
  });

  it('remembers at most its cap of kids, forgetting the one warned about longest ago', () => {
    const warnings = new KeyAgeWarnings(3);
    for (const kid of ['k1', 'k2', 'k3', 'k4']) warnings.shouldWarn(kid, T0);
    expect(warnings.size).toBe(3);
    expect(warnings.shouldWarn('k2', T0)).toBe(false);
    expect(warnings.shouldWarn('k1', T0)).toBe(true); // forgotten, so warned about again
  });

  it('holds 20,000 kids by default and no more', () => {
    const warnings = new KeyAgeWarnings();
    for (let i = 0; i < 25_000; i++) warnings.shouldWarn(`kid-${i}`, T0);
    expect(warnings.size).toBe(20_000);
  });
});
