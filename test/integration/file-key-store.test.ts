import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
import { filterMayContain, hashName, parseIndex } from '../../lambdas/key-store/name-index.js';
import { storedKey } from '../helpers/stored-keys.js';
import { describeKeyStoreContract } from './key-store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'keygate-file-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let file = join(dir, 'keys-0.json');
let n = 0;
describeKeyStoreContract(
  'FileKeyStore',
  () => {
    file = join(dir, `keys-${++n}.json`);
    return new FileKeyStore(file);
  },
  () => new FileKeyStore(file),
);

describe('FileKeyStore specifics', () => {
  it('writes the file with mode 0600 and leaves no temporary files', async () => {
    const path = join(dir, 'mode.json');
    await new FileKeyStore(path).addKey('acme', storedKey('a'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, names: { acme: { record: { name: 'acme' } } } });
    expect(readdirSync(dir).filter((file) => file.startsWith('mode.json.'))).toEqual([]);
  });

  it('treats a name past its recovery window as gone', async () => {
    const path = join(dir, 'window.json');
    let now = new Date();
    const store = new FileKeyStore(path, () => now);
    await store.addKey('acme', storedKey('a'));
    await store.revoke('acme', 7);
    now = new Date(now.getTime() + 8 * 86_400_000);
    await expect(store.restore('acme')).rejects.toMatchObject({ code: 'unknown_key_name' });
    expect((await store.addKey('acme', storedKey('b'))).outcome).toBe('created');
  });

  it('a damaged name index never blocks writes or reads: it is rebuilt from the names', async () => {
    const path = join(dir, 'damaged-index.json');
    const store = new FileKeyStore(path);
    await store.addKey('acme', storedKey('a'));
    const text = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...text, index: 'not an index' }));

    expect((await store.addKey('beta', storedKey('b'))).outcome).toBe('created');
    const index = await store.readNameIndex();
    expect(filterMayContain(index.filter, hashName('acme')) && filterMayContain(index.filter, hashName('beta'))).toBe(true);
    expect(() => parseIndex(String((JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)['index']))).not.toThrow();
  });

  it('refuses a file that is not a keygate key store with an integrity error instead of using it', async () => {
    const path = join(dir, 'corrupt.json');
    writeFileSync(path, JSON.stringify({ version: 2, names: {} }));
    await expect(new FileKeyStore(path).getKeys('acme')).rejects.toMatchObject({ name: 'KeyStoreIntegrityError' });
  });

  it('skips one malformed entry with a warning naming it, once; serves the other names; refuses that name; keeps it on writes', async () => {
    // Prepare: a good name, then a hand-edited entry with a key cut short, and one with a bad deletionDate.
    const path = join(dir, 'one-bad-entry.json');
    await new FileKeyStore(path).addKey('good', storedKey('g'));
    const file = JSON.parse(readFileSync(path, 'utf8')) as { names: Record<string, unknown> };
    file.names['broken'] = { record: { name: 'broken', keys: [{ kid: 'x' }] } };
    file.names['undated'] = { record: { name: 'undated', keys: [] }, deletionDate: 'next week' };
    writeFileSync(path, JSON.stringify(file));
    const warnings: string[] = [];
    const store = new FileKeyStore(path, () => new Date(), (message) => warnings.push(message));
    // Act
    const good = await store.getKeys('good');
    const listed = await store.listNames({ limit: 10 });
    // Assess
    expect(good?.keys.map((k) => k.kid)).toEqual([storedKey('g').kid]);
    expect(listed.items.map((i) => i.name)).toEqual(['good']);
    expect(warnings).toEqual([
      expect.stringMatching(/one-bad-entry\.json: skipping the malformed entry "broken" \(the stored value for "broken" does not have the keygate shape\)/),
      expect.stringMatching(/skipping the malformed entry "undated" \(not an object with a record and an ISO 8601 deletionDate\)/),
    ]);
    await expect(store.getKeys('broken')).rejects.toMatchObject({ name: 'KeyStoreIntegrityError', message: expect.stringContaining('"broken"') });
    await expect(store.addKey('broken', storedKey('b'))).rejects.toMatchObject({ name: 'KeyStoreIntegrityError' });
    await store.addKey('other', storedKey('o'));
    const after = JSON.parse(readFileSync(path, 'utf8')) as { names: Record<string, unknown> };
    expect(after.names['broken']).toEqual(file.names['broken']);
    expect(after.names['undated']).toEqual(file.names['undated']);
    expect(Object.keys(after.names).sort()).toEqual(['broken', 'good', 'other', 'undated']);
    expect(warnings).toHaveLength(2);
  });

  it('warns on stderr by default, never silently', async () => {
    const path = join(dir, 'default-warning.json');
    writeFileSync(path, JSON.stringify({ version: 1, names: { '../etc': { record: {} } } }));
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      await new FileKeyStore(path).listNames({ limit: 10 });
    } finally {
      process.stderr.write = write;
    }
    expect(written).toEqual([expect.stringMatching(/^keygate: warning: .*default-warning\.json: skipping the malformed entry "\.\.\/etc" \(not a valid key name\)/)]);
  });
});
