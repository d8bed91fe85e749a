import { describe, expect, it } from 'vitest';
import { KeyMaterialError } from '../../../lambdas/core/key-material.js';
import { CachingKeyResolver, KeyIndexUnavailableError, type KeyCacheOptions } from '../../../lambdas/key-store/key-cache.js';
import { KeyStoreIntegrityError, KeyStoreUnavailableError, type KeyRecord } from '../../../lambdas/key-store/key-store.js';
import { indexOfNames, withNameChange, type NameIndexData } from '../../../lambdas/key-store/name-index.js';
import { rsaKeyPair } from '../../helpers/keys.js';
import { storedKey } from '../../helpers/stored-keys.js';

const T0 = 1_790_000_000_000;
const UNLIMITED = { perSecond: 1e9, burst: 1e9 };

/**
 * The cache over an in-memory store that counts reads per name (and of the index, as '(index)'),
 * can be made to fail, and reports what the cache told it.
 */
function setup(options: Partial<KeyCacheOptions> = {}, { withIndex = false } = {}) {
  const records = new Map<string, KeyRecord>();
  const reads = new Map<string, number>();
  const clock = { now: T0 };
  let failure: Error | undefined;
  let indexFailure: Error | undefined;
  let index: NameIndexData | undefined = indexOfNames([], 1);
  const count = (name: string) => reads.set(name, (reads.get(name) ?? 0) + 1);
  const getKeys = async (name: string) => {
    count(name);
    if (failure) throw failure;
    return records.get(name);
  };
  const readNameIndex = async () => {
    count('(index)');
    if (indexFailure) throw indexFailure;
    return index;
  };
  const integrityErrors: [string, Error][] = [];
  const missing: number[] = [];
  const resolver = new CachingKeyResolver(withIndex ? { getKeys, readNameIndex } : { getKeys }, {
    keyCacheSeconds: 60,
    unknownKeyCacheSeconds: 10,
    staleIfErrorSeconds: 300,
    keySizeLimits: { minBits: 2048, maxBits: 4096 },
    now: () => clock.now,
    onIntegrityError: (name, error) => integrityErrors.push([name, error]),
    onIndexMissing: () => missing.push(clock.now),
    ...options,
  });
  const register = (name: string, record: Partial<KeyRecord> = {}) => {
    records.set(name, { name, keys: [storedKey('default')], ...record });
    index = withNameChange(index ?? indexOfNames([], 1), name, 'log', 0);
  };
  const sourceOf = async (name: string) => (await resolver.resolve(name)).source;
  return {
    resolver,
    records,
    clock,
    register,
    sourceOf,
    integrityErrors,
    missing,
    reads: (name: string) => reads.get(name) ?? 0,
    fail: (error: Error | undefined) => (failure = error),
    failIndex: (error: Error | undefined) => (indexFailure = error),
    setIndex: (next: NameIndexData | undefined) => (index = next),
  };
}

describe('known names: at most maxEntries kept, the one read longest ago dropped first', () => {
  it('holds exactly maxEntries names; one more drops the oldest, which is then read again', async () => {
    const { resolver, register, reads, sourceOf } = setup({ maxEntries: 2 });
    for (const name of ['a', 'b', 'c']) register(name);
    expect(await sourceOf('a')).toBe('store');
    expect(await sourceOf('b')).toBe('store');
    expect(await sourceOf('a')).toBe('cache');
    expect(await sourceOf('b')).toBe('cache');
    expect(await sourceOf('c')).toBe('store');
    expect(await sourceOf('b')).toBe('cache');
    expect(await sourceOf('c')).toBe('cache');
    expect((await resolver.resolve('a')).source).toBe('store');
    expect([reads('a'), reads('b'), reads('c')]).toEqual([2, 1, 1]);
  });

  it('a re-read moves a name to the back of the line', async () => {
    const { register, clock, sourceOf } = setup({ maxEntries: 2 });
    for (const name of ['a', 'b', 'c']) register(name);
    await sourceOf('a');
    clock.now = T0 + 30_000;
    await sourceOf('b');
    clock.now = T0 + 60_000; // a's window is over: read again, now newer than b
    expect(await sourceOf('a')).toBe('store');
    expect(await sourceOf('c')).toBe('store'); // drops b, not a
    expect(await sourceOf('a')).toBe('cache');
    expect(await sourceOf('b')).toBe('store');
  });

  it('10,000 by default', async () => {
    const { register, sourceOf } = setup({ unknownNameBudget: UNLIMITED });
    const names = Array.from({ length: 10_001 }, (_, i) => `n${i}`);
    for (const name of names) register(name, { keys: [] }); // known, without keys to import: the bound is about entries
    for (const name of names.slice(0, 10_000)) await sourceOf(name);
    expect(await sourceOf('n0')).toBe('cache');
    expect(await sourceOf('n10000')).toBe('store');
    expect(await sourceOf('n1')).toBe('cache');
    expect(await sourceOf('n0')).toBe('store');
  }, 30_000);
});

describe('unknown names', () => {
  it('are remembered for unknownKeyCacheSeconds seconds, to the millisecond', async () => {
    const { clock, reads, sourceOf } = setup({ unknownKeyCacheSeconds: 10 });
    expect(await sourceOf('ghost')).toBe('store');
    clock.now = T0 + 9_999;
    expect(await sourceOf('ghost')).toBe('cache');
    clock.now = T0 + 10_000;
    expect(await sourceOf('ghost')).toBe('store');
    expect(reads('ghost')).toBe(2);
  });

  it('at most maxUnknownEntries are remembered (10,000 by default)', async () => {
    const few = setup({ maxUnknownEntries: 2, unknownNameBudget: UNLIMITED });
    for (const name of ['x', 'y', 'z']) await few.sourceOf(name);
    expect([await few.sourceOf('y'), await few.sourceOf('z'), await few.sourceOf('x')]).toEqual(['cache', 'cache', 'store']);

    const many = setup({ unknownNameBudget: UNLIMITED });
    for (let i = 0; i <= 10_000; i++) await many.sourceOf(`u${i}`);
    expect(await many.sourceOf('u1')).toBe('cache');
    expect(await many.sourceOf('u0')).toBe('store');
  }, 30_000);

  it('a name registered after it was remembered as unknown is found once the window is over', async () => {
    const { register, clock, sourceOf, resolver } = setup();
    expect(await sourceOf('late')).toBe('store');
    register('late');
    expect(await sourceOf('late')).toBe('cache');
    clock.now = T0 + 10_000;
    expect((await resolver.resolve('late')).keys).toHaveLength(1);
    expect(await sourceOf('late')).toBe('cache');
  });
});

describe('the unknown-name budget: exactly burst reads at once, then perSecond a second', () => {
  const budget = { perSecond: 20, burst: 40 };

  it('burst reads at one instant, not one more', async () => {
    const { sourceOf } = setup({ unknownNameBudget: budget });
    const sources = [];
    for (let i = 0; i < 41; i++) sources.push(await sourceOf(`made-up-${i}`));
    expect(sources.filter((s) => s === 'store')).toHaveLength(40);
    expect(sources[40]).toBe('over-budget');
  });

  it('refills at perSecond: one more read after 50 ms, 20 after a second, never more than burst', async () => {
    const { clock, sourceOf } = setup({ unknownNameBudget: budget });
    let n = 0;
    const spend = async (tries: number) => {
      let read = 0;
      for (let i = 0; i < tries; i++) if ((await sourceOf(`made-up-${n++}`)) === 'store') read++;
      return read;
    };
    expect(await spend(50)).toBe(40);
    clock.now += 49;
    expect(await spend(5)).toBe(0);
    clock.now += 1;
    expect(await spend(5)).toBe(1);
    clock.now += 1000;
    expect(await spend(50)).toBe(20);
    clock.now += 60_000;
    expect(await spend(100)).toBe(40);
  });

  it('is 20 a second with a burst of 40 by default', async () => {
    const { clock, sourceOf } = setup({ unknownNameBudget: undefined });
    const sources = [];
    for (let i = 0; i < 45; i++) sources.push(await sourceOf(`made-up-${i}`));
    expect(sources.filter((s) => s === 'store')).toHaveLength(40);
    clock.now += 1000;
    for (let i = 45; i < 70; i++) sources.push(await sourceOf(`made-up-${i}`));
    expect(sources.filter((s) => s === 'store')).toHaveLength(60);
  });

  it('a name remembered as unknown costs nothing while remembered', async () => {
    const { sourceOf } = setup({ unknownNameBudget: { perSecond: 0, burst: 1 } });
    expect(await sourceOf('ghost')).toBe('store');
    for (let i = 0; i < 5; i++) expect(await sourceOf('ghost')).toBe('cache');
    expect(await sourceOf('other')).toBe('over-budget');
  });

  it('with a name index the budget does not apply: registered names are read however many arrive at once', async () => {
    const { register, sourceOf } = setup({ unknownNameBudget: { perSecond: 0, burst: 1 } }, { withIndex: true });
    for (let i = 0; i < 5; i++) register(`n${i}`);
    for (let i = 0; i < 5; i++) expect(await sourceOf(`n${i}`)).toBe('store');
  });
});

describe('a known name is kept keyCacheSeconds, then read again', () => {
  it('to the millisecond, with its binding', async () => {
    const { register, clock, resolver, reads } = setup();
    register('acme', { binding: 'subject' });
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'store', binding: 'subject', keys: [{ kid: rsaKeyPair(2048, 'default').kid }] });
    clock.now = T0 + 59_999;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'cache', binding: 'subject', keys: [{ kid: rsaKeyPair(2048, 'default').kid }] });
    clock.now = T0 + 60_000;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'store', binding: 'subject' });
    expect(reads('acme')).toBe(2);
  });

  it('concurrent look-ups of one name share one read; the next window reads again', async () => {
    const { register, clock, resolver, reads, records } = setup();
    register('acme');
    const [first, second] = await Promise.all([resolver.resolve('acme'), resolver.resolve('acme')]);
    expect(first).toBe(second);
    expect(reads('acme')).toBe(1);
    records.delete('acme');
    clock.now = T0 + 60_000;
    expect((await resolver.resolve('acme')).keys).toBeUndefined();
    expect(reads('acme')).toBe(2);
  });
});

describe('stale-if-error: a known name survives a store outage for staleIfErrorSeconds past its window', () => {
  it('serves the last keys and binding until then, and fails after', async () => {
    const { register, clock, resolver, fail } = setup({ staleIfErrorSeconds: 300 });
    register('acme', { binding: 'thumbprint' });
    await resolver.resolve('acme');
    fail(new KeyStoreUnavailableError('throttled'));
    clock.now = T0 + 60_000 + 299_999;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'stale', binding: 'thumbprint', keys: [expect.anything()] });
    clock.now = T0 + 60_000 + 300_000;
    await expect(Promise.resolve().then(() => resolver.resolve('acme'))).rejects.toThrow('throttled');
  });

  it('an unknown name gets no stale answer: the fault reaches the caller', async () => {
    const { resolver, fail } = setup();
    fail(new KeyStoreUnavailableError('throttled'));
    await expect(Promise.resolve().then(() => resolver.resolve('acme'))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it('with staleIfErrorSeconds 0 there is no stale window', async () => {
    const { register, clock, resolver, fail } = setup({ staleIfErrorSeconds: 0 });
    register('acme');
    await resolver.resolve('acme');
    fail(new KeyStoreUnavailableError('throttled'));
    clock.now = T0 + 60_000;
    await expect(Promise.resolve().then(() => resolver.resolve('acme'))).rejects.toThrow('throttled');
  });
});

describe('integrity errors: a stored key that fails the checks is reported and never used', () => {
  it('a record the store refuses as foreign: reported with the name, and the name has no keys', async () => {
    const { resolver, fail, integrityErrors, reads, sourceOf } = setup();
    const error = new KeyStoreIntegrityError('the stored value is not a key record');
    fail(error);
    expect(await resolver.resolve('acme')).toEqual({ keys: [], binding: undefined, source: 'store' });
    expect(integrityErrors).toEqual([['acme', error]]);
    fail(undefined);
    expect(await sourceOf('acme')).toBe('cache');
    expect(reads('acme')).toBe(1);
  });

  it('one bad key of two: reported with its code, the good one still used', async () => {
    const { resolver, register, integrityErrors } = setup();
    const good = storedKey('default');
    register('acme', { keys: [{ ...good, kid: 'not-its-thumbprint' }, good] });
    const lookup = await resolver.resolve('acme');
    expect(lookup.keys?.map((key) => key.kid)).toEqual([good.kid]);
    expect(integrityErrors).toHaveLength(1);
    expect(integrityErrors[0]?.[0]).toBe('acme');
    expect(integrityErrors[0]?.[1]).toBeInstanceOf(KeyMaterialError);
    expect(integrityErrors[0]?.[1]).toMatchObject({ code: 'kid_mismatch' });
  });

  it('keys outside the configured size limits are integrity errors too', async () => {
    const { resolver, register, integrityErrors } = setup({ keySizeLimits: { minBits: 3072, maxBits: 4096 } });
    register('acme');
    expect((await resolver.resolve('acme')).keys).toEqual([]);
    expect(integrityErrors[0]?.[1]).toMatchObject({ code: 'key_too_small' });
  });
});

describe('the name index', () => {
  it('is read once per key-cache window, to the millisecond, and one read serves concurrent look-ups', async () => {
    const { register, clock, resolver, reads } = setup({}, { withIndex: true });
    register('acme');
    await Promise.all([resolver.resolve('acme'), resolver.resolve('other'), resolver.resolve('acme')]);
    expect(reads('(index)')).toBe(1);
    clock.now = T0 + 59_999;
    await resolver.resolve('acme');
    expect(reads('(index)')).toBe(1);
    clock.now = T0 + 60_000;
    await resolver.resolve('acme');
    expect(reads('(index)')).toBe(2);
  });

  it('is never read when the key cache is off (every request reads its name anyway)', async () => {
    const { register, resolver, reads } = setup({ keyCacheSeconds: 0 }, { withIndex: true });
    register('acme');
    expect((await resolver.resolve('acme')).keys).toHaveLength(1);
    expect((await resolver.resolve('acme')).source).toBe('store');
    expect(reads('(index)')).toBe(0);
    expect(reads('acme')).toBe(2);
  });

  it('a missing index is reported at each read, and names are read as without one', async () => {
    const { register, clock, resolver, reads, setIndex, missing, sourceOf } = setup({ unknownNameBudget: { perSecond: 0, burst: 1 } }, { withIndex: true });
    register('acme');
    setIndex(undefined);
    expect((await resolver.resolve('acme')).keys).toHaveLength(1);
    expect(missing).toEqual([T0]);
    expect(await sourceOf('made-up')).toBe('over-budget'); // the one read of the budget went to acme
    clock.now = T0 + 60_000;
    await resolver.resolve('acme');
    expect(missing).toEqual([T0, T0 + 60_000]);
    expect(reads('acme')).toBe(2);
  });

  it('a name remembered as unknown is read again as soon as the index logs a change to it', async () => {
    const { register, clock, resolver, records, sourceOf, reads } = setup({ unknownKeyCacheSeconds: 300 }, { withIndex: true });
    register('acme');
    records.delete('acme'); // in the index (a registration that had not landed yet) but no record
    expect((await resolver.resolve('acme')).keys).toBeUndefined();
    clock.now = T0 + 60_000;
    expect(await sourceOf('acme')).toBe('cache'); // remembered as unknown; the index logged nothing new
    register('acme');
    clock.now = T0 + 120_000;
    expect((await resolver.resolve('acme')).keys).toHaveLength(1);
    expect(reads('acme')).toBe(2);
  });

  it('an index that was rebuilt (its log does not reach back) forgets unknown names and re-reads known ones', async () => {
    const { register, clock, resolver, records, reads, setIndex } = setup({ unknownKeyCacheSeconds: 300 }, { withIndex: true });
    register('acme');
    register('ghost');
    records.delete('ghost');
    await resolver.resolve('acme');
    await resolver.resolve('ghost');
    records.set('ghost', { name: 'ghost', keys: [storedKey('default')] });
    setIndex(indexOfNames(['acme', 'ghost'], 1)); // a rebuild: seq went back
    clock.now = T0 + 60_000;
    expect((await resolver.resolve('ghost')).keys).toHaveLength(1);
    expect((await resolver.resolve('acme')).keys).toHaveLength(1);
    expect([reads('acme'), reads('ghost')]).toEqual([2, 2]);
  });

  it('an unreadable index: a name kept on its word is re-read, and served stale from then if the store fails too', async () => {
    const { register, clock, resolver, fail, failIndex, reads } = setup({ staleIfErrorSeconds: 300 }, { withIndex: true });
    register('acme');
    await resolver.resolve('acme');
    failIndex(new KeyStoreUnavailableError('index down'));
    fail(new KeyStoreUnavailableError('store down'));
    clock.now = T0 + 120_000;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'stale', keys: [expect.anything()] });
    expect(reads('acme')).toBe(2);
    clock.now = T0 + 120_000 + 299_999;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'stale' });
    clock.now = T0 + 120_000 + 300_000;
    await expect(Promise.resolve().then(() => resolver.resolve('acme'))).rejects.toThrow('store down');
  });
});

describe('KeyIndexUnavailableError', () => {
  it('is a KeyStoreUnavailableError by its own name', () => {
    const error = new KeyIndexUnavailableError('x');
    expect(error).toBeInstanceOf(KeyStoreUnavailableError);
    expect(error.name).toBe('KeyIndexUnavailableError');
  });
});

describe('key cache: what may be kept on the index word, when the index changes during a read', () => {
  const T = 1_790_000_000_000;
  /** A store whose reads of 'acme' can be held open, with an index the test sets or breaks. */
  function heldStore() {
    const keys = { name: 'acme', keys: [storedKey('default')] };
    let index: NameIndexData = withNameChange(indexOfNames([], 1), 'acme', 'log', 0);
    let indexFault: Error | undefined;
    let hold: Promise<void> | undefined;
    let acmeReads = 0;
    const clock = { now: T };
    const store = {
      async getKeys(name: string) {
        if (name !== 'acme') return undefined;
        acmeReads++;
        if (hold) await hold;
        return keys;
      },
      async readNameIndex() {
        if (indexFault) throw indexFault;
        return index;
      },
    };
    const resolver = new CachingKeyResolver(store, { keyCacheSeconds: 60, unknownKeyCacheSeconds: 10, staleIfErrorSeconds: 300, keySizeLimits: { minBits: 2048, maxBits: 4096 }, now: () => clock.now });
    let release = () => {};
    return {
      resolver,
      clock,
      acmeReads: () => acmeReads,
      holdReads: () => (hold = new Promise<void>((resolve) => (release = () => { hold = undefined; resolve(); }))),
      release: () => release(),
      logChange: (name: string) => (index = withNameChange(index, name, 'log', 0)),
      breakIndex: (error: Error | undefined) => (indexFault = error),
    };
  }
  const swallow = async (promise: unknown) => { try { await promise; } catch { /* the other name's answer does not matter here */ } };

  it('a change logged while the read was in flight: the keys are kept for the key-cache window only', async () => {
    const { resolver, clock, acmeReads, holdReads, release, logChange } = heldStore();
    holdReads();
    const first = resolver.resolve('acme');
    await new Promise((resolve) => setImmediate(resolve));
    logChange('other');
    clock.now = T + 60_000;
    await swallow(resolver.resolve('other')); // reads the index again: a newer seq
    release();
    expect((await first).keys).toHaveLength(1);
    clock.now = T + 120_000;
    expect((await resolver.resolve('acme')).source).toBe('store');
    expect(acmeReads()).toBe(2);
  });

  it('the index breaks while the read is in flight: the keys are served, kept for the key-cache window', async () => {
    const { resolver, clock, acmeReads, holdReads, release, breakIndex } = heldStore();
    holdReads();
    const first = resolver.resolve('acme');
    await new Promise((resolve) => setImmediate(resolve));
    breakIndex(new KeyStoreUnavailableError('index down'));
    clock.now = T + 60_000;
    await swallow(resolver.resolve('other'));
    release();
    expect((await first).keys).toHaveLength(1);
    expect(acmeReads()).toBe(1);
  });

  it('a read begun while the index was unreadable, ending after it recovered: served, and not kept on the index word', async () => {
    const { resolver, clock, acmeReads, holdReads, release, breakIndex } = heldStore();
    await resolver.resolve('acme');
    breakIndex(new KeyStoreUnavailableError('index down'));
    clock.now = T + 60_000;
    holdReads();
    const reread = resolver.resolve('acme'); // no longer vouched for: read again, the index unreadable
    await new Promise((resolve) => setImmediate(resolve));
    breakIndex(undefined);
    clock.now = T + 61_000;
    await swallow(resolver.resolve('other')); // the index is read again, fine now
    release();
    expect((await reread).keys).toHaveLength(1);
    clock.now = T + 121_000;
    expect((await resolver.resolve('acme')).source).toBe('store');
    expect(acmeReads()).toBe(3);
  });

  it('a cached name the rebuilt index no longer holds is read again from the store, the record of truth', async () => {
    const { register, clock, resolver, setIndex, reads } = setup({}, { withIndex: true });
    register('acme');
    expect((await resolver.resolve('acme')).keys).toHaveLength(1);
    setIndex(indexOfNames(['other'], 1));
    clock.now = T0 + 60_000;
    expect(await resolver.resolve('acme')).toMatchObject({ source: 'store', keys: [expect.anything()] });
    expect(reads('acme')).toBe(2);
  });

  it('an unreadable index refuses names it cannot vouch for with a sentence that says so', async () => {
    const { resolver, failIndex } = setup({}, { withIndex: true });
    failIndex(new KeyStoreUnavailableError('index down'));
    await expect(Promise.resolve().then(() => resolver.resolve('acme'))).rejects.toThrow(new KeyIndexUnavailableError('the name index could not be read and the name is not cached'));
  });

  it('integrity errors without a listener: the bad key is still skipped, the foreign record still denied', async () => {
    const { register, resolver, fail } = setup({ onIntegrityError: undefined });
    const good = storedKey('default');
    register('acme', { keys: [{ ...good, kid: 'not-its-thumbprint' }, good] });
    expect((await resolver.resolve('acme')).keys?.map((key) => key.kid)).toEqual([good.kid]);
    fail(new KeyStoreIntegrityError('foreign'));
    expect(await resolver.resolve('ghost')).toEqual({ keys: [], binding: undefined, source: 'store' });
  });
});
