import { verify } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { extractBearerToken } from '../../lambdas/core/bearer.js';
import { readConfig } from '../../lambdas/core/config.js';
import { importStoredJwk } from '../../lambdas/core/key-material.js';
import { allowPolicy } from '../../lambdas/core/policy.js';
import { DEFAULT_TOKEN_RULES } from '../../lambdas/core/token-rules.js';
import type { VerificationKey } from '../../lambdas/core/token-checks.js';
import { verifyToken } from '../../lambdas/core/verify-token.js';
import type { KeyStore, KeyRecord } from '../../lambdas/key-store/key-store.js';
import { authorizerEvent, lambdaContext } from './event.js';
import type { BenchKey, BenchToken } from './fixtures.js';
import type { Contender } from './measure.js';

/**
 * handler-warm-4096's contenders: crypto.verify (floor), the real authorizer handler with a
 * key-cache hit, and the single-write sketch. The handler has been called once (an Allow), so
 * the key is cached. Powertools writes to stdout: callers send it to /dev/null.
 */
export async function warmHandlerContenders(key: BenchKey, { token, signingInput, signature }: BenchToken): Promise<{ floor: Contender; keygate: Contender; sketch: Contender }> {
  const record: KeyRecord = { name: 'acme', keys: [{ kid: key.kid, jwk: key.jwk, bits: key.bits, addedAt: new Date().toISOString(), addedBy: 'bench' }] };
  const keyStore: Pick<KeyStore, 'getKeys'> = { getKeys: (name) => Promise.resolve(name === 'acme' ? record : undefined) };
  // Cache seconds at their maximum so that every timed call is a cache hit.
  const handler = createAuthorizerHandler({ keyStore, config: readConfig({ KEYGATE_KEY_CACHE_SECONDS: '900' }) });
  const event = authorizerEvent(`Bearer ${token}`);
  const first = await handler(event, lambdaContext);
  if (first.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('the warm handler did not allow the bench token');
  const sketch = singleWriteSketch([importStoredJwk(key.jwk, key.kid, { minBits: 2048, maxBits: 4096 })]);
  return {
    floor: { name: 'floor', fn: () => verify('sha512', signingInput, key.publicKey, signature) },
    keygate: { name: 'keygate', fn: () => handler(event, lambdaContext) },
    sketch: { name: 'single-write-sketch', fn: () => sketch(event, lambdaContext) },
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
