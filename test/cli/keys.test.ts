import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rsaKeyPair } from '../helpers/keys.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';
import { buildCli, expectOneLineError, keygate, useTempDirs } from './setup.js';

// `keygate keys` against a real `keygate serve`: the refusals a support engineer meets, each one
// line with the right exit code.
beforeAll(buildCli);
const tempDir = useTempDirs();
let server: Running | undefined;
let dir: string;
const files = { publicKey: '', ecKey: '' };

beforeAll(async () => {
  server = await startServe({}, [], { sharedPki: true });
  dir = await tempDir();
  files.publicKey = join(dir, 'public.pem');
  files.ecKey = join(dir, 'ec.pem');
  await writeFile(files.publicKey, rsaKeyPair(2048).publicKeyPem);
  await writeFile(files.ecKey, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }));
}, 90_000);
afterAll(async () => stopServe(server));

const connection = (who: 'support' | 'demo', options: { ca?: boolean } = {}) => {
  if (!server) throw new Error('server not started');
  return ['--endpoint', server.url, '--cert', join(server.dataDir, `${who}.pem`), '--key', join(server.dataDir, `${who}.key`), ...(options.ca === false ? [] : ['--ca', join(server.dataDir, 'ca/ca.pem')])];
};

describe('keygate keys: refusals as one line and an exit code', () => {
  it('adds a key, and says how long removal and revocation take to reach warm authorizers', async () => {
    const added = await keygate(['keys', 'add', 'acme', '--public-key', files.publicKey, ...connection('support')]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'acme', outcome: 'created' });
    const revoked = await keygate(['keys', 'revoke', 'acme', ...connection('support')]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/^keygate: warm authorizers accept the name's keys until their cached copy expires: KEYGATE_KEY_CACHE_SECONDS/);
  });

  it('a missing --public-key file', async () => {
    expectOneLineError(await keygate(['keys', 'add', 'acme', '--public-key', join(dir, 'nope.pem'), ...connection('support')]), 1, /nope\.pem/);
  });

  it('an EC key: the server refuses it with 400 unsupported_key_type', async () => {
    expectOneLineError(await keygate(['keys', 'add', 'ec', '--public-key', files.ecKey, ...connection('support')]), 1, /400.*unsupported_key_type|unsupported_key_type.*400/);
  });

  it('the consumer certificate on /keys: 403', async () => {
    expectOneLineError(await keygate(['keys', 'list', ...connection('demo')]), 1, /403/);
  });

  it('no client certificate: says to pass --cert and --key', async () => {
    if (!server) throw new Error('server not started');
    const result = await keygate(['keys', 'list', '--endpoint', server.url, '--ca', join(server.dataDir, 'ca/ca.pem')]);
    expectOneLineError(result, 1, /the server requires a client certificate: pass --cert and --key/);
    expect(result.stderr).not.toMatch(/routines|rec_layer|\.c:\d+/);
  });

  it('a key that is not the certificate\'s, and swapped certificate and key files, are named before connecting', async () => {
    if (!server) throw new Error('server not started');
    const d = server.dataDir;
    const base = ['keys', 'list', '--endpoint', server.url, '--ca', join(d, 'ca/ca.pem')];
    expectOneLineError(await keygate([...base, '--cert', join(d, 'support.pem'), '--key', join(d, 'demo.key')]), 1, /demo\.key is not the private key of the certificate .*support\.pem/);
    expectOneLineError(await keygate([...base, '--cert', join(d, 'support.key'), '--key', join(d, 'support.pem')]), 1, /support\.key is not a PEM certificate \(were the certificate and key files swapped\?\)/);
  });

  it('route permissions and pins: keys add --route/--pin-cert and keys access, with usage errors before anything is sent', async () => {
    if (!server) throw new Error('server not started');
    const added = await keygate(['keys', 'add', 'limited', '--public-key', files.publicKey, '--route', 'GET /orders/*', '--pin-cert', join(server.dataDir, 'demo.pem'), ...connection('support')]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ routes: ['GET /orders/*'], certificatePins: [expect.stringMatching(/^[\w-]{43}$/)] });
    const changed = await keygate(['keys', 'access', 'limited', '--all-routes', ...connection('support')]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ outcome: 'changed', certificatePins: [expect.any(String)] });
    expect(JSON.parse(changed.stdout)).not.toHaveProperty('routes');
    expect(changed.stderr).toMatch(/^keygate: warm authorizers accept the previous routes and pins until their cached copy expires/);
    expectOneLineError(await keygate(['keys', 'add', 'limited', '--public-key', files.publicKey, '--route', 'GET orders', ...connection('support')]), 2, /expected "METHOD \/path"/);
    expectOneLineError(await keygate(['keys', 'access', 'limited', '--pin', 'AAAA', ...connection('support')]), 2, /expected a SHA-256 SPKI pin/);
    expectOneLineError(await keygate(['keys', 'access', 'limited', ...connection('support')]), 2, /nothing to change/);
    expectOneLineError(await keygate(['keys', 'access', 'limited', '--route', 'GET /a', '--all-routes', ...connection('support')]), 2, /--route or --all-routes, not both/);
    expectOneLineError(await keygate(['keys', 'access', 'limited', '--pin-cert', join(server.dataDir, 'demo.pem'), '--no-pins', ...connection('support')]), 2, /--no-pins, not both/);
    expectOneLineError(await keygate(['keys', 'access', 'nobody', '--no-pins', ...connection('support')]), 1, /404.*unknown_key_name|unknown_key_name.*404/);
  });

  it('a kid that starts with "-": the usage error says to put it after --', async () => {
    const kid = `-${'A'.repeat(42)}`;
    expectOneLineError(await keygate(['keys', 'remove', 'acme', kid, ...connection('support')]), 2, /goes after '--'/);
    const removed = await keygate(['keys', 'remove', 'acme', ...connection('support'), '--', kid]);
    expectOneLineError(removed, 1, /404|409|unknown|revoked/);
  });
});
