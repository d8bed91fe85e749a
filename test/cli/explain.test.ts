import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import { verifyToken } from '../../lambdas/core/verify-token.js';
import { createSelfSignedCa, distinguishedName } from '../../cli/pki/x509.js';
import { mintToken, rsaKeyPair, signRaw, verificationKey } from '../helpers/keys.js';
import { buildCli, expectOneLineError, keygate, keygateProcess, useTempDirs, type CliResult } from './setup.js';

beforeAll(buildCli);
const tempDir = useTempDirs();

const NOW = 1_790_000_000;
const NOW_ISO = new Date(NOW * 1000).toISOString();
const pair = rsaKeyPair(2048);
const other = rsaKeyPair(2048, 'other');
let publicKeyFile: string;

beforeAll(async () => {
  publicKeyFile = join(await tempDir(), 'public.pem');
  await writeFile(publicKeyFile, pair.publicKeyPem);
});

function explain(token: string, ...flags: string[]): Promise<CliResult> {
  return keygate(['explain', token, '--now', NOW_ISO, ...flags]);
}

interface JsonExplanation {
  readonly header: Record<string, unknown> | null;
  readonly claims: Record<string, unknown> | null;
  readonly times: Record<string, { value: number; iso: string; relative: string }>;
  readonly rules: { id: string; status: string; reason?: string; detail: string }[];
  readonly result: { decision: string; reason?: string; publicReason?: string; kid?: string };
}

async function explainJson(token: string, ...flags: string[]): Promise<{ code: number; json: JsonExplanation }> {
  const result = await explain(token, '--json', ...flags);
  return { code: result.code, json: JSON.parse(result.stdout) as JsonExplanation };
}

const failed = (json: JsonExplanation) => json.rules.filter((r) => r.status === 'fail').map((r) => `${r.id}:${r.reason}`);

describe('keygate explain', () => {
  it('shows header, claims with ISO and relative times, every rule passing, and exits 0 with a key', async () => {
    // Prepare
    const token = await mintToken(pair, { nowSeconds: NOW - 60, kid: pair.kid });
    // Act
    const result = await explain(token, '--public-key', publicKeyFile);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^header\n {2}alg +"RS512"\n {2}kid +"/);
    expect(result.stdout).toContain(`iat      ${NOW - 60}  ${new Date((NOW - 60) * 1000).toISOString()} (1 min ago)`);
    expect(result.stdout).toContain(`exp      ${NOW + 240}  ${new Date((NOW + 240) * 1000).toISOString()} (in 4 min)`);
    expect(result.stdout).toContain('lifetime 300 s (5 min)');
    expect(result.stdout).not.toMatch(/FAIL|SKIP/);
    expect(result.stdout).toMatch(/PASS .*RS512 signature verifies .*verifies with kid/);
    expect(result.stdout).toContain(`result: ALLOWED, signed by kid ${pair.kid}`);
  });

  it('says the signature was not checked when no key is given, and exits 0', async () => {
    const result = await explain(await mintToken(pair, { nowSeconds: NOW }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/SKIP .*no key given/);
    expect(result.stdout).toContain('the signature was NOT checked');
  });

  it('reads the token from stdin with -, tolerating "Bearer " and a trailing newline', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    const result = await keygateProcess(['explain', '-', '--now', NOW_ISO, '--public-key', publicKeyFile], { input: `Bearer ${token}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('result: ALLOWED');
  });

  it('accepts the key as a certificate or as the private key', async () => {
    const dir = await tempDir();
    const ca = await createSelfSignedCa({ subject: distinguishedName('acme'), key: { kind: 'rsa', bits: 2048 }, isCa: false });
    const token = await mintToken({ ...pair, privateKey: ca.privateKey }, { nowSeconds: Math.floor(Date.now() / 1000) });
    await writeFile(join(dir, 'cert.pem'), ca.certificatePem);
    await writeFile(join(dir, 'private.pem'), ca.privateKeyPem, { mode: 0o600 });
    for (const file of ['cert.pem', 'private.pem']) {
      const result = await keygate(['explain', token, '--public-key', join(dir, file)]);
      expect(result.stdout).toContain('result: ALLOWED');
    }
  });

  it.each([
    ['expired', () => mintToken(pair, { nowSeconds: NOW - 400 }), 'token_expired', 'token_expired', /expired 1 min 40 s ago/],
    ['bad signature', () => mintToken(other, { nowSeconds: NOW }), 'invalid_signature', 'invalid_signature', /does not verify with kid/],
    ['wrong alg', async () => signRaw(pair, '{"alg":"RS256"}', JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j' })), 'unsupported_algorithm', 'unsupported_algorithm', /alg is the string "RS256"/],
    ['bad sub', () => mintToken(pair, { nowSeconds: NOW, claims: { sub: 'acme' } }), 'invalid_subject', 'invalid_subject', /sub "acme" does not start with ces:customer:/],
    ['too long lifetime', () => mintToken(pair, { nowSeconds: NOW, ttlSeconds: 3600 }), 'lifetime_too_long', 'lifetime_too_long', /3600 s; at most 1800 s is allowed/],
    ['not yet valid', () => mintToken(pair, { nowSeconds: NOW + 120 }), 'token_not_yet_valid', 'token_not_yet_valid', /issued in 2 min: the signer's clock is ahead/],
    ['missing jti', () => mintToken(pair, { nowSeconds: NOW, omit: ['jti'] }), 'missing_claim', 'invalid_claims', /jti is missing/],
    ['non-integer exp', async () => signRaw(pair, '{"alg":"RS512"}', JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 0.5, jti: 'j' })), 'invalid_claim', 'invalid_claims', /exp is a number with a fraction \(\d+\.5\)/],
    ['unknown kid', () => mintToken(pair, { nowSeconds: NOW, kid: 'old-key' }), 'unknown_kid', 'invalid_signature', /kid "old-key" is not this key's kid .* \(the signature itself verifies with this key\)/],
    ['exp written with a fraction', async () => signRaw(pair, '{"alg":"RS512"}', `{"sub":"ces:customer:acme","iat":${NOW},"exp":${NOW + 60}.0,"jti":"j"}`), 'invalid_claim', 'invalid_claims', /exp is written with a decimal point or an exponent/],
    ['crit', async () => signRaw(pair, '{"alg":"RS512","crit":["exp"]}', JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j' })), 'malformed_token', 'malformed_token', /crit is present/],
  ])('denies a token (%s) with exit 1, naming the internal and public reason', async (_label, make, reason, publicReason, detail) => {
    // Prepare
    const token = await make();
    // Act
    const result = await explain(token, '--public-key', publicKeyFile);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL .*\\[${reason}\\]`));
    expect(result.stdout).toMatch(detail);
    expect(result.stdout).toMatch(new RegExp(`^result: DENIED ${reason} \\(public reason: ${publicReason}\\): `, 'm'));
  });

  it('shows every problem at once but exits with the reason the authorizer gives first', async () => {
    // Prepare: bad sub, lifetime too long, expired and signed by another key.
    const token = await mintToken(other, { nowSeconds: NOW - 7200, ttlSeconds: 3600, claims: { sub: 'ces:customer:' } });
    // Act
    const { code, json } = await explainJson(token, '--public-key', publicKeyFile);
    // Assess
    expect(code).toBe(1);
    expect(failed(json)).toEqual(['sub:invalid_subject', 'lifetime:lifetime_too_long', 'not-expired:token_expired', 'signature:invalid_signature']);
    expect(json.result).toMatchObject({ decision: 'deny', reason: 'invalid_subject', publicReason: 'invalid_subject' });
  });

  it('reaches the same verdict as the core verifier for a range of tokens', async () => {
    const tokens = [
      await mintToken(pair, { nowSeconds: NOW }),
      await mintToken(pair, { nowSeconds: NOW - 320 }),
      await mintToken(pair, { nowSeconds: NOW - 340 }),
      await mintToken(pair, { nowSeconds: NOW + 40, ttlSeconds: 60 }),
      await mintToken(pair, { nowSeconds: NOW, claims: { nbf: NOW + 100 } }),
      await mintToken(pair, { nowSeconds: NOW, omit: ['sub', 'iat'] }),
      await mintToken(pair, { nowSeconds: NOW, claims: { jti: 'x'.repeat(257) } }),
      await mintToken(pair, { nowSeconds: NOW, claims: { exp: NOW } }),
      signRaw(pair, '{"alg":"RS512","kid":7}', JSON.stringify({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 60, jti: 'j' })),
    ];
    const explained = await Promise.all(tokens.map((token) => explainJson(token, '--public-key', publicKeyFile)));
    tokens.forEach((token, i) => {
      const core = verifyToken(token, { nowSeconds: NOW, rules: DEFAULT_TOKEN_RULES, keysFor: () => [verificationKey(pair)] });
      const { code, json } = explained[i] ?? { code: -1, json: undefined };
      expect({ code, reason: json?.result.reason }).toEqual(core.ok ? { code: 0, reason: undefined } : { code: 1, reason: core.reason });
      if (!core.ok && json) expect(failed(json)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`:${core.reason}$`))]));
    });
  });

  it('names copy-and-paste damage in a malformed token', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    const result = await explain(`${token.slice(0, 40)}\n${token.slice(40)}==`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL .*three canonical base64url segments.*contains whitespace or a line break; it has base64 padding \(=\) \[malformed_token\]/);
    expect(result.stdout).toMatch(/SKIP .*alg is RS512 .*the token could not be decoded/);
    expect(result.stdout).toMatch(/^result: DENIED malformed_token \(public reason: malformed_token\)/m);
    expect(result.stdout).toContain('\n        fix: copy the token as one line; remove the trailing = from each segment: JWS uses base64url without padding (RFC 7515, section 2)\n');
  });

  it('says plainly when iat and exp are milliseconds, with the fix', async () => {
    const result = await explain(await mintToken(pair, { claims: { iat: NOW * 1000, exp: NOW * 1000 + 300_000 } }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}exp +\d+ +\S+ \(.*\) \(milliseconds\? keygate wants seconds\)$/m);
    expect(result.stdout).toMatch(/FAIL .*300000 s; at most 1800 s is allowed; exp and iat look like milliseconds \[lifetime_too_long\]\n {8}fix: send seconds, not milliseconds: divide by 1000/);
    expect(result.stdout).toContain('result: DENIED lifetime_too_long (public reason: lifetime_too_long): exp - iat is 300000 s; at most 1800 s is allowed; exp and iat look like milliseconds');
  });

  it('denies an oversized token with token_too_large', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW, claims: { pad: 'x'.repeat(9000) } });
    const { code, json } = await explainJson(token);
    expect(code).toBe(1);
    expect(json.result).toMatchObject({ reason: 'token_too_large', publicReason: 'malformed_token' });
  });

  it('escapes terminal control and bidi characters from the token', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW, claims: { note: 'a\u009b31mb\u202ec', sub: 'ces:customer:\u001b[2J' } });
    const result = await explain(token);
    for (const raw of ['\u001b', '\u009b', '\u202e']) expect(result.stdout).not.toContain(raw);
    expect(result.stdout).toContain('"a\\u009b31mb\\u202ec"  (ignored)');
  });

  it('honours --clock-skew and --max-lifetime', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW - 310, ttlSeconds: 300 });
    expect((await explain(token)).code).toBe(0);
    expect((await explain(token, '--clock-skew', '0')).stdout).toMatch(/^result: DENIED token_expired/m);
    expect((await explain(token, '--max-lifetime', '120')).stdout).toMatch(/^result: DENIED lifetime_too_long/m);
  });

  it('prints JSON with --json', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW, kid: pair.kid });
    const { code, json } = await explainJson(token, '--public-key', publicKeyFile);
    expect(code).toBe(0);
    expect(json.header).toEqual({ alg: 'RS512', kid: pair.kid });
    expect(json.claims).toMatchObject({ sub: 'ces:customer:acme', iat: NOW, exp: NOW + 300 });
    expect(json.times['exp']).toEqual({ value: NOW + 300, iso: new Date((NOW + 300) * 1000).toISOString(), relative: 'in 5 min', milliseconds: false });
    expect(json.rules.every((r) => r.status === 'pass')).toBe(true);
    expect(json.result).toEqual({ decision: 'allow', kid: pair.kid });
  });

  it.each([
    [['--now', 'yesterday'], /--now <iso>.*ISO 8601/],
    [['--clock-skew', '301'], /--clock-skew <seconds>.*from 0 to 300/],
    [['--max-lifetime', '59'], /--max-lifetime <seconds>.*from 60 to 1800/],
  ])('exits 2 for bad flags %j', async (flags, message) => {
    expectOneLineError(await keygate(['explain', 'a.b.c', ...flags]), 2, message);
  });

  it('exits 2 without a token, or with an empty one on stdin', async () => {
    expectOneLineError(await keygate(['explain']), 2, /missing required argument 'token'/);
    expectOneLineError(await keygateProcess(['explain', '-'], { input: '\n' }), 2, /no token on stdin/);
  });

  it('exits 1 when the key file is missing or not usable', async () => {
    const token = await mintToken(pair, { nowSeconds: NOW });
    expectOneLineError(await explain(token, '--public-key', '/nonexistent.pem'), 1, /cannot read --public-key \/nonexistent\.pem: no such file/);
    const dir = await tempDir();
    await writeFile(join(dir, 'junk.pem'), 'not a key!');
    const junk = await explain(token, '--public-key', join(dir, 'junk.pem'));
    expectOneLineError(junk, 1, /junk\.pem is not a PEM public key, certificate or private key/);
    expect(junk.stderr).not.toContain('publicKey');
  });

  it.each([
    ['empty', ''],
    ['junk', 'not a key!'],
    ['base64 of base64 of a PEM block', Buffer.from(Buffer.from(pair.publicKeyPem).toString('base64')).toString('base64')],
    ['base64 that is not a PEM block', Buffer.from('hello there, not a key').toString('base64')],
  ])('names the --public-key file, never the API field publicKey, for %s', async (_label, content) => {
    const file = join(await tempDir(), 'key.pem');
    await writeFile(file, content);
    const result = await explain(await mintToken(pair, { nowSeconds: NOW }), '--public-key', file);
    expectOneLineError(result, 1, /^keygate: \/.*key\.pem (is|holds|decodes)/);
    expect(result.stderr).not.toContain('publicKey');
  });
});
