import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKeyInput } from '../../lambdas/core/key-material.js';
import { buildCli, expectOneLineError, keygate, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('keygate keygen', () => {
  it('writes a PKCS#8 private key with mode 0600 and an SPKI public key, and prints the kid and next steps', async () => {
    // Prepare
    const out = join(await tempDir(), 'keys');
    // Act
    const result = await keygate(['keygen', '--out', out, '--bits', '2048', '--name', 'acme']);
    // Assess
    expect(result.code).toBe(0);
    const privatePem = await readFile(join(out, 'private.pem'), 'utf8');
    const publicPem = await readFile(join(out, 'public.pem'), 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(await mode(join(out, 'private.pem'))).toBe(0o600);
    expect(createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' })).toBe(publicPem);
    const parsed = await parsePublicKeyInput(publicPem);
    expect(parsed.bits).toBe(2048);
    expect(result.stdout).toContain(`kid:         ${parsed.kid}`);
    expect(result.stdout).toContain(`keygate token --key ${join(out, 'private.pem')} --name acme --kid ${parsed.kid}`);
    expect(result.stdout + result.stderr).not.toContain('PRIVATE KEY-----');
    expect(result.stderr).toMatch(/^generating a 2048-bit RSA key… done \(\d+\.\d s\)\n$/);
  });

  it('generates 4096-bit keys by default and shows progress on stderr', async () => {
    const out = await tempDir();
    const result = await keygate(['keygen', '--out', out]);
    expect(result.code).toBe(0);
    expect((await parsePublicKeyInput(await readFile(join(out, 'public.pem'), 'utf8'))).bits).toBe(4096);
    expect(result.stderr).toMatch(/generating a 4096-bit RSA key… done/);
  });

  it('refuses to overwrite existing keys, and replaces them with --force keeping mode 0600', async () => {
    // Prepare
    const out = await tempDir();
    await keygate(['keygen', '--out', out, '--bits', '2048']);
    const before = await readFile(join(out, 'private.pem'), 'utf8');
    // Act
    const refused = await keygate(['keygen', '--out', out, '--bits', '2048']);
    // Assess
    expectOneLineError(refused, 1, /private\.pem already exists; refusing to overwrite it \(use --force/);
    expect(await readFile(join(out, 'private.pem'), 'utf8')).toBe(before);

    const forced = await keygate(['keygen', '--out', out, '--bits', '2048', '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(join(out, 'private.pem'), 'utf8')).not.toBe(before);
    expect(await mode(join(out, 'private.pem'))).toBe(0o600);
  });

  it('refuses when only public.pem exists, writing nothing', async () => {
    const out = await tempDir();
    await writeFile(join(out, 'public.pem'), 'keep me');
    expectOneLineError(await keygate(['keygen', '--out', out, '--bits', '2048']), 1, /public\.pem already exists/);
    await expect(stat(join(out, 'private.pem'))).rejects.toThrow();
  });

  it.each([
    [['--bits', '1024'], /--bits <bits>.*expected 2048, 3072 or 4096/],
    [['--bits', 'many'], /--bits <bits>.*expected 2048, 3072 or 4096/],
    [['--name', '-bad name'], /--name <name>.*key name is 1-64 characters/],
  ])('exits 2 for bad flags %j', async (flags, message) => {
    expectOneLineError(await keygate(['keygen', '--out', await tempDir(), ...flags]), 2, message);
  });

  it('exits 2 without --out', async () => {
    expectOneLineError(await keygate(['keygen']), 2, /required option '--out <dir>' not specified/);
  });

  // Linux's /proc answers ENOENT to mkdir: Node's recursive mkdir retried that forever.
  it.runIf(existsSync('/proc/self'))('exits 1 with one line when --out cannot be created (/proc/x), writing nothing', async () => {
    expectOneLineError(await keygate(['keygen', '--out', '/proc/x', '--bits', '2048']), 1, /^keygate: cannot create directory \/proc\/x: the file system does not allow a directory there\n$/);
    expectOneLineError(await keygate(['keygen', '--out', '/proc/x/y', '--bits', '2048']), 1, /cannot create directory \/proc\/x\/y: /);
  });

  it('creates missing parent directories with mode 0700', async () => {
    const root = await tempDir();
    const out = join(root, 'a', 'b');
    expect((await keygate(['keygen', '--out', out, '--bits', '2048'])).code).toBe(0);
    expect(await mode(join(root, 'a'))).toBe(0o700);
    expect(await mode(out)).toBe(0o700);
  });

  it('exits 1 when --out is a file', async () => {
    const file = join(await tempDir(), 'file');
    await writeFile(file, 'x');
    expectOneLineError(await keygate(['keygen', '--out', file, '--bits', '2048']), 1, /cannot create directory .*file: not a directory/);
  });
});
