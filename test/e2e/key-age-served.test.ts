import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, expectOneLineError, keygate } from '../cli/setup.js';
import { httpsRequest } from '../helpers/https-client.js';
import { mintToken, rsaKeyPair, type TestKeyPair } from '../helpers/keys.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';

/**
 * Key age end to end: one `keygate serve --max-key-age-days 365` over real mutual TLS with its dev
 * CA, keys registered with the keygate CLI, one of them backdated in the local key store file.
 */
let server: Running;
let support: string[];
let demo: { ca: string; cert: string; key: string };
const elder = rsaKeyPair(2048, 'e2e-key-age-elder');
const junior = rsaKeyPair(2048, 'e2e-key-age-junior');
const DAY_MS = 86_400_000;

beforeAll(async () => {
  await buildCli();
  server = await startServe({ KEYGATE_KEY_CACHE_SECONDS: '0', KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '0' }, ['--max-key-age-days', '365'], { sharedPki: true });
  const { dataDir } = server;
  support = ['--endpoint', server.url, '--tls-cert', join(dataDir, 'support.pem'), '--tls-key', join(dataDir, 'support.key'), '--tls-ca', join(dataDir, 'ca/ca.pem')];
  demo = { ca: await readFile(join(dataDir, 'ca/ca.pem'), 'utf8'), cert: await readFile(join(dataDir, 'demo.pem'), 'utf8'), key: await readFile(join(dataDir, 'demo.key'), 'utf8') };
  for (const [name, pair] of [['elder', elder], ['junior', junior]] as const) {
    const publicKeyFile = join(server.cwd, `${name}.pub`);
    await writeFile(publicKeyFile, pair.publicKeyPem);
    const added = await keygate(['keys', 'add', name, '--public-key', publicKeyFile, ...support]);
    expect(added.code, added.stderr).toBe(0);
  }
  // Backdate elder's key in the store, as if registered 400 days ago.
  const storeFile = join(dataDir, 'keys.json');
  const stored = JSON.parse(await readFile(storeFile, 'utf8')) as { names: Record<string, { record: { keys: { addedAt: string }[] } }> };
  (stored.names['elder']?.record.keys[0] as { addedAt: string }).addedAt = new Date(Date.now() - 400 * DAY_MS).toISOString();
  await writeFile(storeFile, JSON.stringify(stored, null, 2));
}, 120_000);

afterAll(async () => {
  expect(await stopServe(server)).toBe(0);
});

async function whoami(pair: TestKeyPair, name: string): Promise<{ status: number; reason?: string }> {
  const result = await httpsRequest(`${server.url}/whoami`, { ca: demo.ca, cert: demo.cert, key: demo.key, headers: { authorization: `Bearer ${await mintToken(pair, { name })}` } });
  return result.status === 200 ? { status: 200 } : { status: result.status, reason: result.json<{ reason?: string }>().reason };
}

describe('keygate serve --max-key-age-days 365', () => {
  it('refuses a token signed with a key registered 400 days ago as 401 invalid_signature (key_expired in the log); accepts one of a key registered today', async () => {
    expect(await whoami(elder, 'elder')).toEqual({ status: 401, reason: 'invalid_signature' });
    expect(await whoami(junior, 'junior')).toEqual({ status: 200 });
    await expect.poll(() => server.output()).toMatch(/"reason":"key_expired"[^\n]*"keyName":"elder"|"keyName":"elder"[^\n]*"reason":"key_expired"/);
  });
});

describe('keygate keys list --older-than', () => {
  it('lists the names with a key older than asked, with only those keys', async () => {
    const listed = await keygate(['keys', 'list', '--older-than', '365d', '--limit', '1', ...support]);
    expect(listed.code, listed.stderr).toBe(0);
    const body = JSON.parse(listed.stdout) as { items: { name: string; keys: { kid: string }[] }[]; namesChecked: number };
    expect(body).toMatchObject({ namesChecked: 2, items: [{ name: 'elder', keys: [{ kid: elder.kid, bits: 2048 }] }] });
    expect(listed.stderr).toMatch(/^keygate: 1 of 2 names have a key added before \d{4}-/);
    const recent = JSON.parse((await keygate(['keys', 'list', '--older-than', '12h', ...support])).stdout) as { items: { name: string }[] };
    expect(recent.items.map((item) => item.name)).toEqual(['elder']);
  });

  it('lists every name with its keys and their addedAt without --older-than', async () => {
    const listed = await keygate(['keys', 'list', ...support]);
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: [{ name: 'elder', keys: [{ kid: elder.kid, addedAt: expect.any(String) }] }, { name: 'junior', keys: [{ kid: junior.kid }] }] });
  });

  it('refuses an age without a unit or out of range in one line (exit 2)', async () => {
    expectOneLineError(await keygate(['keys', 'list', '--older-than', '365', ...support]), 2, /--older-than <age>' argument '365' is invalid\. expected a whole number of days or hours such as 365d or 12h/);
    expectOneLineError(await keygate(['keys', 'list', '--older-than', '4000d', ...support]), 2, /from 1h to 3650d/);
  });
});
