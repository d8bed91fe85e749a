import { generateKeyPairSync } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import { verifyToken } from '../../lambdas/core/verify-token.js';
import { rsaKeyPair, verificationKey } from '../helpers/keys.js';
import { buildCli, expectOneLineError, keygate, useTempDirs } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();
const pair = rsaKeyPair(2048);

async function keyFile(pem: string | Buffer, name = 'key.pem'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, pem, { mode: 0o600 });
  return path;
}

const privatePkcs8 = () => keyFile(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));

describe('keygate token', () => {
  it('prints one RS512 token per the contract that jose verifies', async () => {
    // Prepare
    const key = await privatePkcs8();
    const before = Math.floor(Date.now() / 1000);
    // Act
    const result = await keygate(['token', '--key', key, '--name', 'acme']);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(result.stderr).toBe('');
    const token = result.stdout.trim();
    const { payload, protectedHeader } = await jwtVerify(token, pair.publicKey, { algorithms: ['RS512'] });
    expect(protectedHeader).toEqual({ alg: 'RS512' });
    expect(payload.sub).toBe('ces:customer:acme');
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const verdict = verifyToken(token, { nowSeconds: Date.now() / 1000, rules: DEFAULT_TOKEN_RULES, keysFor: (name) => (name === 'acme' ? [verificationKey(pair)] : undefined) });
    expect(verdict).toMatchObject({ ok: true, keyName: 'acme' });
  });

  it('sets --ttl and --kid, and gives every token its own jti', async () => {
    const key = await privatePkcs8();
    const first = await keygate(['token', '--key', key, '--name', 'acme.eu-1', '--ttl', '1800', '--kid', pair.kid]);
    const second = await keygate(['token', '--key', key, '--name', 'acme.eu-1', '--ttl', '1800', '--kid', pair.kid]);
    const a = await jwtVerify(first.stdout.trim(), pair.publicKey, { algorithms: ['RS512'] });
    const b = await jwtVerify(second.stdout.trim(), pair.publicKey, { algorithms: ['RS512'] });
    expect(decodeProtectedHeader(first.stdout.trim())).toEqual({ alg: 'RS512', kid: pair.kid });
    expect((a.payload.exp ?? 0) - (a.payload.iat ?? 0)).toBe(1800);
    expect(a.payload.sub).toBe('ces:customer:acme.eu-1');
    expect(a.payload.jti).not.toBe(b.payload.jti);
  });

  it('warns on stderr when the private key is readable by others, and still prints the token', async () => {
    const key = await keyFile(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await chmod(key, 0o644);
    const result = await keygate(['token', '--key', key, '--name', 'acme']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^keygate: warning: private key .* is readable by others \(mode 0644\); run chmod 600 /);
    await expect(jwtVerify(result.stdout.trim(), pair.publicKey, { algorithms: ['RS512'] })).resolves.toBeTruthy();
  });

  it('accepts a PKCS#1 RSA private key', async () => {
    const key = await keyFile(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const result = await keygate(['token', '--key', key, '--name', 'acme']);
    await expect(jwtVerify(result.stdout.trim(), pair.publicKey, { algorithms: ['RS512'] })).resolves.toBeTruthy();
  });

  it.each([
    [['--ttl', '1801'], /--ttl <seconds>.*from 1 to 1800/],
    [['--ttl', '0'], /--ttl <seconds>.*from 1 to 1800/],
    [['--ttl', '5m'], /--ttl <seconds>.*from 1 to 1800/],
    [['--kid', ''], /--kid <kid>.*1-128 characters/],
  ])('exits 2 for bad flags %j', async (flags, message) => {
    expectOneLineError(await keygate(['token', '--key', await privatePkcs8(), '--name', 'acme', ...flags]), 2, message);
  });

  it.each(['ces:customer:acme', '-acme', 'a'.repeat(65), 'acme/eu', ''])('exits 2 for the invalid name %j', async (name) => {
    expectOneLineError(await keygate(['token', '--key', await privatePkcs8(), '--name', name]), 2, /--name <name>.*key name is 1-64 characters/);
  });

  it('exits 2 without --key or --name', async () => {
    expectOneLineError(await keygate(['token', '--name', 'acme']), 2, /required option '--key <file>'/);
    expectOneLineError(await keygate(['token', '--key', 'k.pem']), 2, /required option '--name <name>'/);
  });

  it('exits 1 when the key file is missing', async () => {
    expectOneLineError(await keygate(['token', '--key', '/nonexistent/private.pem', '--name', 'acme']), 1, /cannot read --key \/nonexistent\/private\.pem: no such file/);
  });

  it('refuses a public key', async () => {
    expectOneLineError(await keygate(['token', '--key', await keyFile(pair.publicKeyPem), '--name', 'acme']), 1, /holds a public key or certificate; signing needs the private key/);
  });

  it('refuses an EC key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = await keyFile(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expectOneLineError(await keygate(['token', '--key', key, '--name', 'acme']), 1, /holds an ec key; RS512 needs a plain RSA key/);
  });

  it('refuses an encrypted key without printing any of it', async () => {
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    const result = await keygate(['token', '--key', await keyFile(pem), '--name', 'acme']);
    expectOneLineError(result, 1, /is an encrypted private key; decrypt it first/);
    expect(result.stderr).not.toContain(pem.split('\n')[1]);
  });

  it('refuses an RSA key under 2048 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const key = await keyFile(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expectOneLineError(await keygate(['token', '--key', key, '--name', 'acme']), 1, /holds a 1024-bit RSA key; at least 2048 bits are required/);
  });

  it('refuses a file that is not a key', async () => {
    expectOneLineError(await keygate(['token', '--key', await keyFile('hello'), '--name', 'acme']), 1, /is not a PEM private key/);
  });
});
