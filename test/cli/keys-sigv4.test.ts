import { createServer, type Server } from 'node:https';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCa, issueCertificate } from '../../cli/pki/x509.js';
import { buildCli, keygateProcess, useTempDirs } from './setup.js';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token-example' };
const tempDir = useTempDirs();
let server: Server;
let url: string;
let caFile: string;
const seen: Seen[] = [];

beforeAll(async () => {
  await buildCli();
  const ca = await createSelfSignedCa({ subject: 'CN=SigV4 Test CA' });
  const leaf = await issueCertificate({ issuer: ca, profile: 'server', subject: 'CN=localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  caFile = join(await tempDir(), 'ca.pem');
  await writeFile(caFile, ca.certificatePem);
  server = createServer({ key: leaf.privateKeyPem, cert: leaf.certificatePem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

/** Re-signs what the server received with the same credentials and date: the signatures must agree. */
async function expectedAuthorization(request: Seen, region: string): Promise<string> {
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY, sessionToken: CREDENTIALS.AWS_SESSION_TOKEN }, sha256: Sha256 });
  const target = new URL(request.path, url);
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const headers: Record<string, string> = { host: String(request.headers['host']), accept: String(request.headers['accept']) };
  if (request.headers['content-type']) headers['content-type'] = String(request.headers['content-type']);
  const signed = await signer.sign(
    { method: request.method, protocol: 'https:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: Object.fromEntries(target.searchParams), headers, ...(request.body ? { body: request.body } : {}) },
    { signingDate },
  );
  return String(signed.headers['authorization']);
}

describe('keygate keys against a deployed API: SigV4 from the standard credential chain', () => {
  it('signs GET /keys with the credentials in the environment, for execute-api in the region', async () => {
    const result = await keygateProcess(['keys', 'list', '--endpoint', url, '--ca', caFile, '--auth', 'sigv4', '--region', 'eu-west-1'], { env: CREDENTIALS });
    expect(result.code, result.stderr).toBe(0);
    const request = seen.at(-1) as Seen;
    expect(request.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    expect(request.headers['x-amz-security-token']).toBe(CREDENTIALS.AWS_SESSION_TOKEN);
    expect(request.headers['authorization']).toBe(await expectedAuthorization(request, 'eu-west-1'));
  });

  it('signs a PUT with its body (the signature covers the public key sent)', async () => {
    const keyFile = join(await tempDir(), 'public.pem');
    await writeFile(keyFile, '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n');
    const result = await keygateProcess(['keys', 'add', 'acme', '--public-key', keyFile, '--endpoint', url, '--ca', caFile, '--auth', 'sigv4', '--region', 'us-west-2'], { env: CREDENTIALS });
    expect(result.code, result.stderr).toBe(0);
    const request = seen.at(-1) as Seen;
    expect(request).toMatchObject({ method: 'PUT', path: '/keys/acme' });
    expect(JSON.parse(request.body)).toEqual({ publicKey: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n' });
    expect(request.headers['authorization']).toContain('/us-west-2/execute-api/aws4_request');
    expect(request.headers['authorization']).toBe(await expectedAuthorization(request, 'us-west-2'));
  });

  it('does not sign for a loopback endpoint unless asked (local mode authenticates with the support certificate)', async () => {
    const result = await keygateProcess(['keys', 'list', '--endpoint', url, '--ca', caFile], { env: CREDENTIALS });
    expect(result.code, result.stderr).toBe(0);
    expect(seen.at(-1)?.headers['authorization']).toBeUndefined();
  });

  it('without a region, SigV4 is a usage error', async () => {
    const result = await keygateProcess(['keys', 'list', '--endpoint', url, '--ca', caFile, '--auth', 'sigv4'], { env: { ...CREDENTIALS, AWS_REGION: '', AWS_DEFAULT_REGION: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^keygate: .*region/);
  });
});
