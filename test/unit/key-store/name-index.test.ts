import { describe, expect, it } from 'vitest';
import {
  changedSince,
  filterMayContain,
  hashName,
  indexOfNames,
  isPending,
  LOG_SIZE,
  parseIndex,
  PENDING_EXPIRY_SECONDS,
  serializeIndex,
  withNameChange,
} from '../../../lambdas/key-store/name-index.js';

const SECRETS_MANAGER_VALUE_LIMIT = 65_536;
const names = (count: number, prefix = 'customer') => Array.from({ length: count }, (_, i) => `${prefix}-${i}-${'x'.repeat(i % 40)}`);

describe('name index', () => {
  it('10,000 names (and 20,000) fit one Secrets Manager value, with a full change log and pending marks', () => {
    for (const count of [10_000, 20_000]) {
      let index = indexOfNames(names(count), 1);
      for (let i = 0; i < LOG_SIZE + 10; i++) index = withNameChange(index, `changed-${i}`, 'log', 0);
      for (let i = 0; i < 200; i++) index = withNameChange(index, `pending-${i}`, 'begin', 0);
      const text = serializeIndex(index);
      expect(Buffer.byteLength(text)).toBeLessThan(SECRETS_MANAGER_VALUE_LIMIT);
      expect(parseIndex(text)).toEqual(index);
    }
  });

  it('holds every registered name; refuses made-up names but for a documented false-positive rate', () => {
    const registered = names(10_000);
    const index = indexOfNames(registered);
    expect(registered.every((name) => filterMayContain(index.filter, hashName(name)))).toBe(true);
    const probes = 200_000;
    let falsePositives = 0;
    for (let i = 0; i < probes; i++) if (filterMayContain(index.filter, hashName(`made-up-${i}`))) falsePositives++;
    expect(falsePositives / probes).toBeLessThan(0.0002); // documented: about 0.004 % at 10,000 names
  });

  it('logs each change; a container that saw change n learns exactly the names changed since, or that it must start over', () => {
    let index = indexOfNames(['a', 'b'], 100);
    index = withNameChange(index, 'a', 'end', 0);
    const seen = index.seq;
    index = withNameChange(index, 'b', 'end', 0);
    index = withNameChange(index, 'c', 'end', 0);
    expect(changedSince(index, seen)).toEqual(new Set([hashName('b').id, hashName('c').id]));
    expect(changedSince(index, index.seq)).toEqual(new Set());
    expect(changedSince(index, 99)).toBeUndefined(); // before the rebuild: no history
    for (let i = 0; i < LOG_SIZE; i++) index = withNameChange(index, `n${i}`, 'end', 0);
    expect(changedSince(index, seen)).toBeUndefined(); // the log no longer reaches back
    expect(changedSince(indexOfNames([], 5), index.seq)).toBeUndefined(); // a rebuilt index went back
  });

  it('a removal is pending between begin and end; a mark left by a lost end is settled after PENDING_EXPIRY_SECONDS', () => {
    let index = withNameChange(indexOfNames(['a']), 'a', 'begin', 1_000);
    expect(isPending(index, 'a')).toBe(true);
    index = withNameChange(index, 'b', 'end', 1_000 + PENDING_EXPIRY_SECONDS - 1);
    expect(isPending(index, 'a')).toBe(true);
    const before = index.seq;
    index = withNameChange(index, 'b', 'end', 1_000 + PENDING_EXPIRY_SECONDS);
    expect(isPending(index, 'a')).toBe(false);
    expect(changedSince(index, before)).toEqual(new Set([hashName('a').id, hashName('b').id]));
  });

  it('overlapping removals of one name: it stays pending until the last one ends; an addition leaves the marks alone', () => {
    let index = indexOfNames(['a']);
    index = withNameChange(index, 'a', 'begin', 0);
    index = withNameChange(index, 'a', 'begin', 0);
    index = withNameChange(index, 'a', 'log', 0);
    index = withNameChange(index, 'a', 'end', 0);
    expect(isPending(parseIndex(serializeIndex(index)), 'a')).toBe(true);
    index = withNameChange(index, 'a', 'end', 0);
    expect(isPending(index, 'a')).toBe(false);
  });

  it('two writers of the same change never send the same value (so the second put cannot pass as an idempotent repeat)', () => {
    const next = withNameChange(indexOfNames(['a'], 3), 'a', 'begin', 0);

    const [first, second] = [serializeIndex(next), serializeIndex(next)];

    expect(first).not.toBe(second);
    expect(isPending(parseIndex(first), 'a') && isPending(parseIndex(second), 'a')).toBe(true);
  });

  it('refuses a stored value keygate would not have written', () => {
    const good = JSON.parse(serializeIndex(indexOfNames(['a'], 3))) as Record<string, unknown>;
    for (const bad of ['not json', '[]', JSON.stringify({ ...good, v: 2 }), JSON.stringify({ ...good, seq: -1 }), JSON.stringify({ ...good, filter: 'AAAA' }), JSON.stringify({ ...good, pending: [[1]] })]) {
      expect(() => parseIndex(bad)).toThrow(expect.objectContaining({ name: 'KeyStoreIntegrityError' }));
    }
  });
});
