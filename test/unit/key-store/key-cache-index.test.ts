import { describe, expect, it } from 'vitest';
import { CachingKeyResolver, INDEX_RETRY_MS, VOUCHED_MAX_MS } from '../../../lambdas/key-store/key-cache.js';
import { KeyStoreUnavailableError, type KeyRecord } from '../../../lambdas/key-store/key-store.js';
import { indexOfNames, LOG_SIZE, withNameChange, type NameIndexData } from '../../../lambdas/key-store/name-index.js';
import { storedKey } from '../../helpers/stored-keys.js';

const T0 = 1_790_000_000_000;

/**
 * The cache over an in-memory store with a name index kept the way the store adapters keep it
 * (begin/end marks around removals, end after additions); reads counted per name and for the index.
 */
function setup() {
  const records = new Map<string, KeyRecord>();
  const reads = new Map<string, number>();
  const clock = { now: T0 };
  let index: NameIndexData | undefined = indexOfNames([], 1);
  let indexFault: Error | undefined;
  const store = {
    async getKeys(name: string) {
      reads.set(name, (reads.get(name) ?? 0) + 1);
      return records.get(name);
    },
    async readNameIndex() {
      reads.set('(index)', (reads.get('(index)') ?? 0) + 1);
      if (indexFault) throw indexFault;
      return index;
    },
  };
  const faults: Error[] = [];
  const resolver = new CachingKeyResolver(store, {
    keyCacheSeconds: 60,
    unknownKeyCacheSeconds: 10,
    staleIfErrorSeconds: 300,
    keySizeLimits: { minBits: 2048, maxBits: 4096 },
    now: () => clock.now,
    onIndexFault: (error) => faults.push(error),
  });
  const change = (name: string, phase: 'begin' | 'end' | 'log') => (index = withNameChange(index ?? indexOfNames([], 1), name, phase, 0));
  const register = (name: string) => {
    records.set(name, { name, keys: [storedKey('default')] });
    change(name, 'log');
  };
  const revoke = (name: string, { confirm = true } = {}) => {
    change(name, 'begin');
    records.delete(name);
    if (confirm) change(name, 'end');
  };
  const allowed = async (name: string) => Boolean((await resolver.resolve(name)).keys?.length);
  return {
    resolver,
    clock,
    change,
    records,
    register,
    revoke,
    allowed,
    reads: (name: string) => reads.get(name) ?? 0,
    setIndex: (next: NameIndexData | undefined) => (index = next),
    failIndex: (error: Error | undefined) => (indexFault = error),
    faults,
  };
}

describe('key cache with the name index', () => {
  it('reads a registered name once and keeps it across windows while the index logs no change; made-up names cost nothing', async () => {
    const { clock, register, allowed, reads, resolver } = setup();
    register('acme');
    for (let minute = 0; minute < 10; minute++) {
      clock.now = T0 + minute * 60_000;
      expect(await allowed('acme')).toBe(true);
      expect(await resolver.resolve(`made-up-${minute}`)).toMatchObject({ keys: undefined, source: 'index' });
    }
    expect(reads('acme')).toBe(1);
    expect(reads('(index)')).toBe(10);
    expect(reads('made-up-0')).toBe(0);
  });

  it('a key removed outside the registration API (the index never hears of it) stops working within VOUCHED_MAX_MS', async () => {
    const { clock, register, records, allowed, reads } = setup();
    register('acme');
    expect(await allowed('acme')).toBe(true);
    records.delete('acme'); // e.g. the secret deleted in the console: no index change

    clock.now = T0 + VOUCHED_MAX_MS - 60_000;
    expect(await allowed('acme'), 'kept on the index word before the ceiling').toBe(true);
    clock.now = T0 + VOUCHED_MAX_MS;
    expect(await allowed('acme'), 're-read at the ceiling').toBe(false);
    expect(reads('acme')).toBe(2);
  });

  it('a revoked name is refused at the first index read after the change; the other names are not re-read', async () => {
    const { clock, register, revoke, allowed, reads } = setup();
    register('acme');
    register('other');
    expect(await allowed('acme')).toBe(true);
    expect(await allowed('other')).toBe(true);
    revoke('acme');
    clock.now += 60_000;
    expect(await allowed('acme')).toBe(false);
    expect(await allowed('other')).toBe(true);
    expect(reads('acme')).toBe(2);
    expect(reads('other')).toBe(1);
  });

  it('a removal whose confirmation was lost: the name falls back to the key-cache window, never kept longer', async () => {
    const { clock, register, allowed, reads, change, records } = setup();
    register('acme');
    expect(await allowed('acme')).toBe(true);
    change('acme', 'begin'); // the begin mark is written; the record is not changed yet
    clock.now += 60_000;
    expect(await allowed('acme')).toBe(true); // re-read (the log holds the mark): the old keys, still current
    expect(reads('acme')).toBe(2);
    records.delete('acme'); // the removal lands; its end mark is lost
    clock.now += 59_000;
    expect(await allowed('acme')).toBe(true); // within the key-cache window of that read
    clock.now += 1_000;
    expect(await allowed('acme')).toBe(false); // pending in the index: kept no longer than the window
  });

  it('a change log that no longer reaches back: every cached name is re-read once', async () => {
    const { clock, register, allowed, reads } = setup();
    register('acme');
    expect(await allowed('acme')).toBe(true);
    for (let i = 0; i < LOG_SIZE + 1; i++) register(`n${i}`);
    clock.now += 60_000;
    expect(await allowed('acme')).toBe(true);
    expect(reads('acme')).toBe(2);
  });

  it('an unreadable index: names not cached fail closed, cached names are re-read (stale-if-error), retried after 1 s', async () => {
    const { clock, register, allowed, reads, resolver, failIndex, faults } = setup();
    register('acme');
    register('other');
    expect(await allowed('acme')).toBe(true);
    failIndex(new KeyStoreUnavailableError('throttled'));
    clock.now += 60_000;
    await expect(Promise.resolve().then(() => resolver.resolve('other'))).rejects.toMatchObject({ name: 'KeyIndexUnavailableError' });
    expect(await allowed('acme')).toBe(true);
    expect(reads('acme')).toBe(2); // no longer vouched for by the index: read again
    expect(faults).toHaveLength(1);
    clock.now += INDEX_RETRY_MS - 1;
    await expect(Promise.resolve().then(() => resolver.resolve('other'))).rejects.toMatchObject({ name: 'KeyIndexUnavailableError' });
    expect(reads('(index)')).toBe(2);
    failIndex(undefined);
    clock.now += 1;
    expect(await allowed('other')).toBe(true);
  });

  it('a missing index: every name is read as without one (key-cache window, unknown-name budget)', async () => {
    const { clock, register, allowed, reads, setIndex } = setup();
    register('acme');
    setIndex(undefined);
    expect(await allowed('acme')).toBe(true);
    clock.now += 60_000;
    expect(await allowed('acme')).toBe(true);
    expect(reads('acme')).toBe(2);
  });
});
