/**
 * The handler cases, run in a child process whose stdout and stderr are /dev/null: Powertools writes
 * one JSON log line and one EMF document per invocation to stdout with a real write(2) each, as in
 * Lambda (where a pipe to the runtime takes them), without a terminal or a reader slowing it down.
 * Results go back to the parent over the IPC channel.
 */
import { randomBytes, randomUUID, verify } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizerHandler } from '../lambdas/authorizer/create-handler.js';
import { extractBearerToken } from '../lambdas/core/bearer.js';
import { readConfig } from '../lambdas/core/config.js';
import { importStoredJwk } from '../lambdas/core/key-material.js';
import { allowPolicy } from '../lambdas/core/policy.js';
import { DEFAULT_TOKEN_RULES } from '../lambdas/core/token-rules.js';
import { verifyToken, type VerificationKey } from '../lambdas/core/verify-token.js';
import type { KeyStore, KeyRecord } from '../lambdas/key-store/key-store.js';
import { handlerDenyCase } from './cases/handler-deny.js';
import { authorizerEvent, lambdaContext } from './lib/event.js';
import { benchKey, mintBenchToken } from './lib/fixtures.js';
import { measureInterleaved, type MeasureOptions } from './lib/measure.js';
import type { CaseResult } from './lib/report.js';

async function handlerWarm(options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(4096);
  const { token, signingInput, signature } = mintBenchToken(key, Math.floor(Date.now() / 1000));
  const record: KeyRecord = { name: 'acme', keys: [{ kid: key.kid, jwk: key.jwk, bits: 4096, addedAt: new Date().toISOString(), addedBy: 'bench' }] };
  const keyStore: Pick<KeyStore, 'getKeys'> = { getKeys: (name) => Promise.resolve(name === 'acme' ? record : undefined) };
  // Cache seconds at their maximum so that every timed call is a cache hit.
  const handler = createAuthorizerHandler({ keyStore, config: readConfig({ KEYGATE_KEY_CACHE_SECONDS: '900' }) });
  const event = authorizerEvent(`Bearer ${token}`);
  const first = await handler(event, lambdaContext);
  if (first.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('the warm handler did not allow the bench token');
  const sketch = singleWriteSketch([importStoredJwk(key.jwk, key.kid, { minBits: 2048, maxBits: 4096 })]);
  const medians = await measureInterleaved(
    [
      { name: 'floor', fn: () => verify('sha512', signingInput, key.publicKey, signature) },
      { name: 'keygate', fn: () => handler(event, lambdaContext) },
      { name: 'single-write-sketch', fn: () => sketch(event, lambdaContext) },
    ],
    options,
  );
  return {
    case: 'handler-warm-4096',
    unit: 'us',
    floor: medians.get('floor') ?? Number.NaN,
    keygate: medians.get('keygate') ?? Number.NaN,
    peers: { 'single-write-sketch': medians.get('single-write-sketch') ?? Number.NaN },
  };
}

/**
 * Not a product path: what the warm handler would cost without middy and Powertools. The same
 * checks (bearer, token, cached key, policy) and a log line and EMF document of the same shape,
 * hand-built and written with one write(2). It bounds what replacing Powertools on the hot path
 * could gain (see docs/performance.md).
 */
function singleWriteSketch(keys: readonly VerificationKey[]): (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<unknown> {
  let coldStart = true;
  return async (event, context) => {
    const bearer = extractBearerToken(event.headers, event.multiValueHeaders);
    if (!bearer.ok) throw new Error(bearer.reason);
    const verified = verifyToken(bearer.token, { nowSeconds: Date.now() / 1000, rules: DEFAULT_TOKEN_RULES, keysFor: (name) => (name === 'acme' ? keys : undefined) });
    if (!verified.ok) throw new Error(verified.reason);
    const now = Date.now();
    const log = JSON.stringify({
      level: 'INFO',
      message: 'allowed',
      timestamp: new Date(now).toISOString(),
      service: 'keygate',
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: Number(context.memoryLimitInMB),
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      sampling_rate: 0,
      component: 'authorizer',
      decision: 'allow',
      keyName: verified.keyName,
      kid: verified.kid,
      jti: verified.jti,
      exp: verified.exp,
      keySource: 'cache',
    });
    const emf = JSON.stringify({
      _aws: { Timestamp: now, CloudWatchMetrics: [{ Namespace: 'keygate', Dimensions: [['service']], Metrics: [{ Name: 'KeyCacheHit', Unit: 'Count' }, { Name: 'Allowed', Unit: 'Count' }] }] },
      service: 'keygate',
      KeyCacheHit: 1,
      Allowed: 1,
    });
    coldStart = false;
    writeSync(1, `${log}\n${emf}\n`);
    return allowPolicy(verified.keyName, event.methodArn, { keyName: verified.keyName, kid: verified.kid, jti: verified.jti, exp: verified.exp });
  };
}

/**
 * 10,000 tokens naming random unknown keys, spread evenly over one unknown-key window (the default
 * 10 s) of a fake clock, against a store that counts reads. The promise: at most burst + perSecond ×
 * window reads (40 + 20 × 10 = 240) per container, whatever the flood.
 */
async function unknownNameFlood(): Promise<CaseResult> {
  const tokens = 10_000;
  const config = readConfig({});
  const windowMs = config.unknownKeyCacheSeconds * 1000;
  const budget = { perSecond: 20, burst: 40 };
  const t0 = 1_790_000_000_000;
  const signature = randomBytes(256).toString('base64url');
  const forged = Array.from({ length: tokens }, () => {
    const header = Buffer.from('{"alg":"RS512","typ":"JWT"}').toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: `ces:customer:n-${randomBytes(8).toString('hex')}`, iat: t0 / 1000, exp: t0 / 1000 + 300, jti: randomUUID() })).toString('base64url');
    return authorizerEvent(`Bearer ${header}.${payload}.${signature}`);
  });
  async function flood(cache: { unknownNameBudget: { perSecond: number; burst: number } }): Promise<number> {
    let reads = 0;
    const clock = { now: t0 };
    const handler = createAuthorizerHandler({ keyStore: { getKeys: () => (reads++, Promise.resolve(undefined)) }, config, now: () => clock.now, cache });
    for (let i = 0; i < tokens; i++) {
      clock.now = t0 + Math.floor((i * windowMs) / tokens);
      await handler(forged[i] as (typeof forged)[number], lambdaContext).catch(() => undefined);
    }
    return reads;
  }
  return {
    case: 'unknown-name-flood',
    unit: 'calls',
    floor: budget.burst + budget.perSecond * config.unknownKeyCacheSeconds,
    keygate: await flood({ unknownNameBudget: budget }),
    peers: { 'without-budget': await flood({ unknownNameBudget: { perSecond: 1e9, burst: 1e9 } }) },
  };
}

const options = JSON.parse(process.argv[2] ?? '{}') as MeasureOptions;
const results = [await handlerWarm(options), await handlerDenyCase(options), await unknownNameFlood()];
process.send?.(results);
