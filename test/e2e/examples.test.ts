import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { buildCli, ROOT } from '../cli/setup.js';
import { httpsRequest } from '../helpers/https-client.js';
import { rsaKeyPair } from '../helpers/keys.js';
import { startServe, stopServe, type Running } from '../helpers/local-serve.js';

/**
 * The consumer examples in examples/, each run as a child process the way its README says, against
 * `keygate serve` with real mutual TLS: a 200 with the registered name and the demo certificate, a
 * non-zero exit on a 401, and TLS verification really on (a wrong CA file, or a server whose
 * certificate names another host, makes the call fail before any request is sent).
 */

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function works(command: string, args: readonly string[], check: (output: string) => boolean = () => true): boolean {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 && check(`${result.stdout}${result.stderr}`);
}

const javaMajor = (output: string) => Number(/version "(\d+)/.exec(output)?.[1] ?? 0);

interface Example {
  readonly label: string;
  readonly available: boolean;
  readonly command: string;
  readonly args: readonly string[];
}

const EXAMPLES: readonly Example[] = [
  { label: 'Node (jose + node:https)', available: true, command: process.execPath, args: [join(ROOT, 'examples/node/call-api.mjs')] },
  {
    label: 'Python (cryptography + ssl)',
    available: works('python3', ['-c', 'import cryptography, ssl, http.client']),
    command: 'python3',
    args: [join(ROOT, 'examples/python/call_api.py')],
  },
  {
    label: 'Java (JDK 17: Signature + HttpClient)',
    available: works('java', ['-version'], (output) => javaMajor(output) >= 17),
    command: 'java',
    // The single-file source launch as documented; C1 only and the serial GC make a short run about half the CPU time.
    args: ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', join(ROOT, 'examples/java/CallApi.java')],
  },
  {
    label: 'shell (openssl + curl)',
    available: works('bash', ['--version']) && works('openssl', ['version']) && works('curl', ['--version']),
    command: 'bash',
    args: [join(ROOT, 'examples/shell/call-api.sh')],
  },
];

const NAME = 'examples';
const consumer = rsaKeyPair(2048, 'examples-consumer');

let server: Running;
let work: string;
let impostor: Server;
let impostorUrl: string;
let impostorRequests = 0;
const files = { signingKey: '', ca: '', clientCert: '', clientKey: '', otherCa: '' };

beforeAll(async () => {
  await buildCli();
  const [running, otherCa] = await Promise.all([startServe({}, [], { sharedPki: true }), createSelfSignedCa({ subject: 'CN=Another CA' })]);
  server = running;
  work = await mkdtemp(join(tmpdir(), 'keygate-examples-'));
  Object.assign(files, {
    signingKey: join(work, 'private.pem'),
    otherCa: join(work, 'other-ca.pem'),
    ca: join(server.dataDir, 'ca/ca.pem'),
    clientCert: join(server.dataDir, 'demo.pem'),
    clientKey: join(server.dataDir, 'demo.key'),
  });
  await writeFile(files.signingKey, consumer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  await writeFile(files.otherCa, otherCa.certificatePem);

  // Register the consumer's public key as support staff do.
  const read = (name: string) => readFile(join(server.dataDir, name), 'utf8');
  const registered = await httpsRequest(`${server.url}/keys/${NAME}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey: consumer.publicKeyPem }),
    ca: await read('ca/ca.pem'),
    cert: await read('support.pem'),
    key: await read('support.key'),
  });
  expect(registered.status, registered.body).toBe(201);

  // A server whose certificate chains to otherCa but names another host: only host-name checking stops a call to it.
  const impostorCert = await issueCertificate({ issuer: otherCa, profile: 'server', subject: 'CN=wrong.example', dnsNames: ['wrong.example'] });
  impostor = createServer({ cert: impostorCert.certificatePem, key: impostorCert.privateKeyPem }, (_req, res) => {
    impostorRequests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keyName":"impostor"}');
  });
  await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
  impostorUrl = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (impostor ? impostor.close(() => resolve()) : resolve()));
  if (work) await rm(work, { recursive: true, force: true });
  if (server) expect(await stopServe(server), 'keygate serve shuts down cleanly').toBe(0);
});

/** The examples' inputs, as environment variables; a flag in `args` wins over its variable. */
function inputEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('KEYGATE_')) env[key] = value;
  return {
    ...env,
    KEYGATE_ENDPOINT: server.url,
    KEYGATE_KEY_NAME: NAME,
    KEYGATE_SIGNING_KEY: files.signingKey,
    KEYGATE_CLIENT_CERT: files.clientCert,
    KEYGATE_CLIENT_KEY: files.clientKey,
    KEYGATE_CA: files.ca,
    ...extra,
  };
}

function runExample(example: Example, args: readonly string[], env: NodeJS.ProcessEnv, cwd = work): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(example.command, [...example.args, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

const show = (outcome: Outcome) => `exit ${outcome.code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;

describe.each(EXAMPLES)('consumer example: $label', (example) => {
  const skip = !example.available;

  // A JVM compiling the example from source beside three others can take more than the default
  // 30 s on a busy 2-core machine; each run is killed at 60 s anyway (runExample).
  describe.concurrent('against keygate serve', { timeout: 90_000 }, () => {
    it.skipIf(skip)('mints a contract token and gets 200 with the key name, kid and demo certificate subject', async () => {
      const before = Math.floor(Date.now() / 1000);
      const outcome = await runExample(example, [], inputEnv({ KEYGATE_KID: consumer.kid }));
      expect(outcome.code, show(outcome)).toBe(0);
      const body = JSON.parse(outcome.stdout) as { keyName: string; kid: string; jti: string; exp: number; clientCertificate: { subjectDN: string } };
      expect(body).toMatchObject({ keyName: NAME, kid: consumer.kid, clientCertificate: { subjectDN: 'CN=demo,O=keygate local' } });
      expect(body.jti).toMatch(/^\S{1,256}$/);
      // ttl 300 s: exp = iat + 300, iat taken during the run.
      expect(body.exp).toBeGreaterThanOrEqual(before + 300);
      expect(body.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300);
    });

    it.skipIf(skip)('prints the 401 body and exits non-zero when the token is refused (flags win over the environment; local defaults for the certificates)', async () => {
      // Run from the server's working directory with no certificate inputs: the defaults are .keygate/demo.pem, demo.key and ca/ca.pem.
      const env = inputEnv();
      for (const key of ['KEYGATE_CLIENT_CERT', 'KEYGATE_CLIENT_KEY', 'KEYGATE_CA']) delete env[key];
      const outcome = await runExample(example, ['--name', 'nobody'], env, server.cwd);
      expect(outcome.code, show(outcome)).toBe(1);
      expect(JSON.parse(outcome.stdout)).toEqual({ error: 'invalid_token', reason: 'invalid_signature', detail: '' });
      expect(outcome.stderr).toMatch(/401/);
    });

    it.skipIf(skip)('fails with a CA file that did not issue the server certificate (verification is on)', async () => {
      const outcome = await runExample(example, ['--ca', files.otherCa], inputEnv());
      expect(outcome.code, show(outcome)).not.toBe(0);
      expect(outcome.stdout).not.toContain(NAME);
      expect(outcome.stderr).toMatch(/self-signed certificate in certificate chain|unable to get local issuer certificate|unable to find valid certification path/i);
    });

    it.skipIf(skip)('fails against a server whose certificate names another host, before sending a request (host-name checking is on)', async () => {
      const outcome = await runExample(example, ['--endpoint', impostorUrl, '--ca', files.otherCa], inputEnv());
      expect(outcome.code, show(outcome)).not.toBe(0);
      expect(outcome.stdout).not.toContain('impostor');
      expect(outcome.stderr).toMatch(/altnames|IP address mismatch|no subject alternative names matching|no alternative certificate subject name matches/i);
      expect(impostorRequests).toBe(0);
    });
  });
});
