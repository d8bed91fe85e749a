import { describe, expect, it } from 'vitest';
import type { KeyStore } from '../../lambdas/key-store/key-store.js';
import { changedSince, filterMayContain, hashName, isPending } from '../../lambdas/key-store/name-index.js';
import { storedKey } from '../helpers/stored-keys.js';

let counter = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++counter}`;

const errorCode = async (promise: Promise<unknown>) => promise.then(() => 'no error', (error: { code?: string; name?: string }) => error.code ?? error.name);

/**
 * The behaviour every key store adapter must have. `makeStore` returns a store on a fresh namespace;
 * `makeSecondWriter` another instance over the same data (a second Lambda container).
 */
export function describeKeyStoreContract(label: string, makeStore: () => KeyStore, makeSecondWriter: () => KeyStore): void {
  describe(`${label}: key store contract`, () => {
    it('an unknown name has no keys', async () => {
      expect(await makeStore().getKeys(uniqueName('nobody'))).toBeUndefined();
    });

    it('adds keys idempotently by kid, up to two, then refuses a third with too_many_keys', async () => {
      const store = makeStore();
      const name = uniqueName('acme');
      const [a, b, c] = [storedKey('a'), storedKey('b'), storedKey('c')];
      expect((await store.addKey(name, a)).outcome).toBe('created');
      expect((await store.addKey(name, a)).outcome).toBe('already_present');
      const added = await store.addKey(name, b);
      expect(added.outcome).toBe('added');
      expect(added.record.keys.map((k) => k.kid)).toEqual([a.kid, b.kid]);
      expect(await errorCode(store.addKey(name, c))).toBe('too_many_keys');
      const read = await store.getKeys(name);
      expect(read).toEqual({ name, keys: [a, b] });
    });

    it('removes one key; refuses the last key, an unknown kid and an unknown name', async () => {
      const store = makeStore();
      const name = uniqueName('rot');
      const [a, b] = [storedKey('a'), storedKey('b')];
      await store.addKey(name, a);
      await store.addKey(name, b);
      expect(await errorCode(store.removeKey(name, 'not-a-kid'))).toBe('unknown_kid');
      expect((await store.removeKey(name, a.kid)).keys.map((k) => k.kid)).toEqual([b.kid]);
      expect((await store.getKeys(name))?.keys.map((k) => k.kid)).toEqual([b.kid]);
      expect(await errorCode(store.removeKey(name, b.kid))).toBe('last_key');
      expect(await errorCode(store.removeKey(uniqueName('ghost'), b.kid))).toBe('unknown_key_name');
    });

    it('revokes a name (a read then finds no keys) and restores it with its keys', async () => {
      const store = makeStore();
      const name = uniqueName('rev');
      const a = storedKey('a');
      await store.addKey(name, a);
      const revoked = await store.revoke(name, 7);
      expect(new Date(revoked.deletionDate).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      expect(await store.getKeys(name)).toBeUndefined();
      expect(await errorCode(store.addKey(name, storedKey('b')))).toBe('name_revoked');
      expect(await errorCode(store.revoke(name, 7))).toBe('name_revoked');
      expect(await store.restore(name)).toEqual({ outcome: 'restored', record: { name, keys: [a] } });
      expect(await store.getKeys(name)).toEqual({ name, keys: [a] });
      // Restore is idempotent: a repeat (say, after a lost reply) answers the active record, changing nothing.
      expect(await store.restore(name)).toEqual({ outcome: 'already_active', record: { name, keys: [a] } });
      expect(await store.getKeys(name)).toEqual({ name, keys: [a] });
      expect(await errorCode(store.restore(uniqueName('ghost')))).toBe('unknown_key_name');
      expect(await errorCode(store.revoke(uniqueName('ghost'), 7))).toBe('unknown_key_name');
    });

    it('lists names with their kids and keys (kid, bits, addedAt) page by page, without revoked names', async () => {
      const store = makeStore();
      const names = [uniqueName('list'), uniqueName('list'), uniqueName('list'), uniqueName('list')];
      const key = { ...storedKey('a'), addedAt: '2025-01-02T03:04:05.000Z' };
      for (const name of names) await store.addKey(name, key);
      await store.revoke(names[3] as string, 7);
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await store.listNames({ limit: 2, nextToken });
        expect(page.items.length).toBeLessThanOrEqual(2);
        for (const item of page.items) {
          seen.push(item.name);
          expect(item.kids).toEqual([key.kid]);
          expect(item.keys).toEqual([{ kid: key.kid, bits: key.bits, addedAt: '2025-01-02T03:04:05.000Z' }]);
        }
        nextToken = page.nextToken;
        pages++;
      } while (nextToken && pages < 50);
      for (const name of names.slice(0, 3)) expect(seen.filter((n) => n === name)).toHaveLength(1);
      expect(seen).not.toContain(names[3]);
    });

    it('refuses a made-up nextToken', async () => {
      expect(await errorCode(makeStore().listNames({ limit: 2, nextToken: '%%not a token%%' }))).toBe('invalid_next_token');
    });

    it('two writers adding different keys at the same time: both keys are kept', async () => {
      for (let round = 0; round < 3; round++) {
        const name = uniqueName('race');
        const [a, b] = [storedKey('a'), storedKey('b')];
        const store = makeStore();
        const results = await Promise.all([store.addKey(name, a), makeSecondWriter().addKey(name, b)]);
        expect(results.map((r) => r.outcome).sort()).toEqual(['added', 'created']);
        expect((await store.getKeys(name))?.keys.map((k) => k.kid).sort()).toEqual([a.kid, b.kid].sort());
      }
    });

    it('keeps the name index: every registered name is in it, each change is logged, nothing is left pending', async () => {
      const store = makeStore();
      const [name, other] = [uniqueName('idx'), uniqueName('idx')];
      await store.addKey(name, storedKey('a'));
      const first = await store.readNameIndex();
      expect(first && filterMayContain(first.filter, hashName(name))).toBe(true);
      expect(first && filterMayContain(first.filter, hashName(uniqueName('made-up')))).toBe(false);
      await store.addKey(other, storedKey('a'));
      await store.addKey(name, storedKey('b'));
      await store.removeKey(name, storedKey('b').kid);
      await store.revoke(other, 7);
      await store.restore(other);
      const last = await store.readNameIndex();
      expect(last && first && changedSince(last, first.seq)).toEqual(new Set([hashName(other).id, hashName(name).id]));
      expect(last && (isPending(last, name) || isPending(last, other))).toBe(false);
      expect((await store.listNames({ limit: 100 })).items.map((item) => item.name).sort()).toEqual([name, other].sort());
    });

    it('two writers registering new names at the same time: both names reach the index', async () => {
      for (let round = 0; round < 3; round++) {
        const [a, b] = [uniqueName('new'), uniqueName('new')];
        const store = makeStore();
        await Promise.all([store.addKey(a, storedKey('a')), makeSecondWriter().addKey(b, storedKey('b'))]);
        const index = await store.readNameIndex();
        expect(index && filterMayContain(index.filter, hashName(a)) && filterMayContain(index.filter, hashName(b))).toBe(true);
      }
    });

    it('three writers racing on a name with one key: never three keys, never a lost key', async () => {
      const name = uniqueName('race3');
      const [a, b, c] = [storedKey('a'), storedKey('b'), storedKey('c')];
      const store = makeStore();
      await store.addKey(name, a);
      const outcomes = await Promise.allSettled([store.addKey(name, b), makeSecondWriter().addKey(name, c)]);
      const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
      expect(succeeded).toHaveLength(1);
      const rejected = outcomes.find((o) => o.status === 'rejected');
      expect((rejected?.reason as { code?: string }).code).toBe('too_many_keys');
      const kids = (await store.getKeys(name))?.keys.map((k) => k.kid) ?? [];
      expect(kids).toHaveLength(2);
      expect(kids).toContain(a.kid);
    });
  });
}
