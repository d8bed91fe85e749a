import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
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

  it('refuses a corrupted file with an integrity error instead of using it', async () => {
    const path = join(dir, 'corrupt.json');
    writeFileSync(path, JSON.stringify({ version: 1, names: { acme: { record: { name: 'acme', keys: [{ kid: 'x' }] } } } }));
    await expect(new FileKeyStore(path).getKeys('acme')).rejects.toMatchObject({ name: 'KeyStoreIntegrityError' });
  });
});
