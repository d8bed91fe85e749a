import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintToken, rsaKeyPair } from '../helpers/keys.js';
import { buildCli, expectOneLineError, keygate, keygateProcess, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();

describe('keygate (program)', () => {
  it.each([[[]], [['keygen']], [['token']], [['explain']], [['ca']], [['ca', 'init']], [['ca', 'sign']], [['truststore']], [['truststore', 'check']], [['serve']]])(
    'prints help for %j --help and exits 0',
    async (command) => {
      // Act
      const result = await keygate([...command, '--help']);
      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: keygate/);
    },
  );

  it('lists every command in the top-level help', async () => {
    const result = await keygate(['--help']);
    for (const command of ['serve', 'keygen', 'token', 'explain', 'ca', 'truststore']) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('exits 2 with one line for an unknown command', async () => {
    expectOneLineError(await keygate(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  it('exits 2 with one line for an unknown option, suggesting the right one', async () => {
    expectOneLineError(await keygate(['keygen', '--out', 'x', '--bitz', '2048']), 2, /unknown option '--bitz'.*--bits/);
  });

  it('exits 2 and shows usage when no command is given', async () => {
    const result = await keygate([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: keygate/);
  });

  it('keeps the serve command registered', async () => {
    const result = await keygate(['serve', '--help']);
    expect(result.stdout).toMatch(/mutual TLS/);
  });
});

// The other CLI tests run the program in-process; these run the bundle a user runs, once per way
// the process can end: output and 0, a usage error and 2, a verdict printed and 1, a failure and 1.
describe('keygate (the built bin, dist/keygate.mjs)', () => {
  it('starts, prints help and exits 0', async () => {
    const result = await keygateProcess(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: keygate/);
  });

  it('exits 2 with one line for a usage error', async () => {
    expectOneLineError(await keygateProcess(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  it('exits 1 after printing the verdict on a denied token', async () => {
    const pair = rsaKeyPair(2048);
    const publicKeyFile = join(await tempDir(), 'public.pem');
    await writeFile(publicKeyFile, pair.publicKeyPem);
    const result = await keygateProcess(['explain', await mintToken(pair, { nowSeconds: 1_790_000_000 }), '--public-key', publicKeyFile]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^result: DENIED token_expired/m);
  });

  it('exits 1 with one line when a command fails', async () => {
    expectOneLineError(await keygateProcess(['truststore', 'check', '/nonexistent.pem']), 1, /cannot read truststore \/nonexistent\.pem: no such file/);
  });
});
