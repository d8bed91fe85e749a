#!/usr/bin/env node
// keygate consumer example: Node.js 20+, `jose` for the token, `node:https` for mutual TLS.
//
// Mints one RS512 token for the keygate token contract and calls GET <endpoint>/whoami over HTTPS
// with a client certificate, verifying the server certificate against the CA file. Prints the
// response body on stdout; exits 0 on a 2xx status, 1 on any other status or a failure, 2 on bad usage.
//
// Inputs (a flag wins over its environment variable; the same names in every example):
//   --endpoint URL        KEYGATE_ENDPOINT     API base URL                      default https://127.0.0.1:8443
//   --name NAME           KEYGATE_KEY_NAME     registered key name (sub = ces:customer:NAME)   required
//   --signing-key FILE    KEYGATE_SIGNING_KEY  your RSA private key (PEM, PKCS#8 or PKCS#1)    required
//   --client-cert FILE    KEYGATE_CLIENT_CERT  client certificate (PEM)          default .keygate/demo.pem
//   --client-key FILE     KEYGATE_CLIENT_KEY   its private key (PEM)             default .keygate/demo.key
//   --ca FILE             KEYGATE_CA           CA that issued the server certificate (PEM)  default .keygate/ca/ca.pem
//   --kid KID             KEYGATE_KID          optional key id for the JWT header (selects one key in a rotation)
//
// Run from the repository (so `jose` resolves from node_modules):
//   node examples/node/call-api.mjs --name demo --signing-key .keygate/demo-key/private.pem
import { Buffer } from 'node:buffer';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { SignJWT } from 'jose';

const TTL_SECONDS = 300; // the contract allows at most 1800 (exp - iat)
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const INPUTS = {
  endpoint: { flag: '--endpoint', env: 'KEYGATE_ENDPOINT', fallback: 'https://127.0.0.1:8443' },
  name: { flag: '--name', env: 'KEYGATE_KEY_NAME' },
  signingKey: { flag: '--signing-key', env: 'KEYGATE_SIGNING_KEY' },
  clientCert: { flag: '--client-cert', env: 'KEYGATE_CLIENT_CERT', fallback: '.keygate/demo.pem' },
  clientKey: { flag: '--client-key', env: 'KEYGATE_CLIENT_KEY', fallback: '.keygate/demo.key' },
  ca: { flag: '--ca', env: 'KEYGATE_CA', fallback: '.keygate/ca/ca.pem' },
  kid: { flag: '--kid', env: 'KEYGATE_KID', optional: true },
};

function usage(message) {
  if (message) console.error(`call-api: ${message}`);
  console.error('usage: node examples/node/call-api.mjs --name NAME --signing-key FILE [--endpoint URL] [--client-cert FILE] [--client-key FILE] [--ca FILE] [--kid KID]');
  process.exit(message ? 2 : 0);
}

function readInputs(argv) {
  const flags = new Map();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') usage();
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!Object.values(INPUTS).some((input) => input.flag === flag)) usage(`unknown argument ${arg}`);
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`${flag} needs a value`);
    flags.set(flag, value);
  }
  const inputs = {};
  for (const [key, { flag, env, fallback, optional }] of Object.entries(INPUTS)) {
    const value = flags.get(flag) ?? (process.env[env] || undefined) ?? fallback;
    if (value === undefined && !optional) usage(`missing ${flag} (or ${env})`);
    inputs[key] = value;
  }
  if (!KEY_NAME.test(inputs.name)) usage(`key name ${JSON.stringify(inputs.name)} is not 1-64 characters of A-Za-z0-9._- starting with a letter or digit`);
  return inputs;
}

/** One token per call: RS512, sub ces:customer:<name>, integer iat/exp, a fresh jti. */
async function mintToken({ name, signingKey, kid }) {
  // createPrivateKey accepts PKCS#8 and PKCS#1 PEM; jose signs with the KeyObject (RSASSA-PKCS1-v1_5 + SHA-512).
  const privateKey = createPrivateKey(readFileSync(signingKey));
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${signingKey} is not an RSA private key`);
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: `ces:customer:${name}`, jti: randomUUID() })
    .setProtectedHeader(kid ? { alg: 'RS512', kid } : { alg: 'RS512' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + TTL_SECONDS)
    .sign(privateKey);
}

/** GET over HTTPS with a client certificate; the server certificate is verified against `ca` (Node's default, never turned off). */
function get(url, { token, ca, clientCert, clientKey }) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        ca: readFileSync(ca),
        cert: readFileSync(clientCert),
        key: readFileSync(clientKey),
        minVersion: 'TLSv1.2',
        timeout: 15_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const inputs = readInputs(process.argv.slice(2));
  const url = `${inputs.endpoint.replace(/\/+$/, '')}/whoami`;
  const token = await mintToken(inputs);
  const { status, body } = await get(url, { token, ...inputs });
  process.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
  if (status < 200 || status > 299) {
    console.error(`call-api: GET ${url} answered HTTP ${status}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`call-api: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
