import { describe, expect, it } from 'vitest';
import { CachingKeyResolver, type KeyCacheOptions } from '../../../lambdas/key-store/key-cache.js';
import type { KeyRecord } from '../../../lambdas/key-store/key-store.js';
import { storedKey } from '../../helpers/stored-keys.js';

const T0 = 1_790_000_000_000;
const BUDGET = { perSecond: 20, burst: 40 };

/** The cache over an in-memory store that counts reads per name: the bound is about the count. */
function setup(options: Partial<KeyCacheOptions> = {}) {
  const records = new Map<string, KeyRecord>();
  const reads = new Map<string, number>();
  const clock = { now: T0 };
  const store = {
    async getKeys(name: string) {
      reads.set(name, (reads.get(name) ?? 0) + 1);
      return records.get(name);
    },
  };
  const resolver = new CachingKeyResolver(store, {
    keyCacheSeconds: 60,
    unknownKeyCacheSeconds: 10,
    staleIfErrorSeconds: 300,
    keySizeLimits: { minBits: 2048, maxBits: 4096 },
    unknownNameBudget: BUDGET,
    now: () => clock.now,
    ...options,
  });
  const register = (name: string) => records.set(name, { name, keys: [storedKey('default')] });
  const totalReads = () => [...reads.values()].reduce((sum, n) => sum + n, 0);
  return { resolver, register, records, reads, clock, totalReads };
}

const bound = (seconds: number) => BUDGET.burst + BUDGET.perSecond * seconds;

describe('key cache: reads of names not known to have keys stay within 40 + 20·t', () => {
  it('the same made-up names sent again after their unknown-name window are still budgeted', async () => {
    const { resolver, clock, totalReads } = setup();
    const names = Array.from({ length: 2000 }, (_, i) => `made-up-${i}`);
    // Window one: 2,000 names over 10 s.
    for (const [i, name] of names.entries()) {
      clock.now = T0 + i * 5;
      await resolver.resolve(name);
    }
    // Window two, after every remembered unknown name has expired: all of them again within 1 s.
    for (const [i, name] of names.entries()) {
      clock.now = T0 + 11_000 + i / 2;
      await resolver.resolve(name);
    }
    expect(totalReads()).toBeLessThanOrEqual(bound(12));
    expect(totalReads()).toBeGreaterThan(BUDGET.burst);
  });

  it('with KEYGATE_UNKNOWN_KEY_CACHE_SECONDS=0, one unknown name asked 1,000 times in 1 s is read at most 60 times', async () => {
    const { resolver, clock, reads } = setup({ unknownKeyCacheSeconds: 0 });
    for (let i = 0; i < 1000; i++) {
      clock.now = T0 + i;
      const lookup = await resolver.resolve('ghost');
      expect(lookup.keys).toBeUndefined();
    }
    expect(reads.get('ghost')).toBeLessThanOrEqual(bound(1));
  });

  it('past the budget a name is answered as unknown without a read, and the budget refills', async () => {
    const { resolver, clock, register, reads } = setup();
    for (let i = 0; i < BUDGET.burst; i++) await resolver.resolve(`made-up-${i}`);
    register('newcomer');
    expect(await resolver.resolve('newcomer')).toEqual({ keys: undefined, binding: undefined, source: 'over-budget' });
    expect(reads.get('newcomer')).toBeUndefined();
    clock.now += 1000 / BUDGET.perSecond;
    expect((await resolver.resolve('newcomer')).keys).toHaveLength(1);
  });
});

describe('key cache: made-up names cannot hurt names that have keys', () => {
  it('a flood of made-up names never pushes a known name out of the cache', async () => {
    const { resolver, register, reads, clock } = setup({ maxEntries: 3, maxUnknownEntries: 3, unknownNameBudget: { perSecond: 1e9, burst: 1e9 } });
    register('acme');
    await resolver.resolve('acme');
    for (let i = 0; i < 500; i++) {
      clock.now = T0 + i;
      await resolver.resolve(`made-up-${i}`);
    }
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'cache' });
    expect(reads.get('acme')).toBe(1);
  });

  it('the periodic re-read of a known name is not charged to the budget, so a flood cannot lock it out', async () => {
    const { resolver, register, reads, clock } = setup();
    register('acme');
    await resolver.resolve('acme');
    clock.now += 61_000; // acme's entry has expired
    for (let i = 0; i < 2000; i++) await resolver.resolve(`made-up-${i}`); // and the budget is spent
    expect(await resolver.resolve('newcomer')).toMatchObject({ source: 'over-budget' });
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'store', keys: [expect.anything()] });
    expect(reads.get('acme')).toBe(2);
  });

  it('a name whose keys were removed becomes unknown on its next read, and is budgeted from then on', async () => {
    const { resolver, register, records, clock } = setup();
    register('acme');
    await resolver.resolve('acme');
    records.delete('acme');
    clock.now += 61_000;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'store', keys: undefined });
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'cache', keys: undefined });
    clock.now += 10_001;
    for (let i = 0; i < 1000; i++) await resolver.resolve(`made-up-${i}`);
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'over-budget' });
  });
});
