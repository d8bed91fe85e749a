/**
 * The denial path beside the warm allow: an expired token and a token naming a made-up name (refused
 * by the name index without a read), through the real handler. Floor: the pure token checks alone
 * (bearer extraction and the claims), so the ratio is what the handler adds to a denial (log line,
 * EMF document, middy). Runs in bench/handler-child.ts (stdout on /dev/null).
 */
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { extractBearerToken } from '../../lambdas/core/bearer.js';
import { readConfig } from '../../lambdas/core/config.js';
import { checkTokenBeforeSignature } from '../../lambdas/core/token-checks.js';
import type { KeyRecord } from '../../lambdas/key-store/key-store.js';
import { indexOfNames } from '../../lambdas/key-store/name-index.js';
import { authorizerEvent, lambdaContext } from '../lib/event.js';
import { benchKey, mintBenchToken } from '../lib/fixtures.js';
import { measureInterleaved, type MeasureOptions } from '../lib/measure.js';
import type { CaseResult } from '../lib/report.js';

export async function handlerDenyCase(options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(2048);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const config = readConfig({ KEYGATE_KEY_CACHE_SECONDS: '900' });
  const record: KeyRecord = { name: 'acme', keys: [{ kid: key.kid, jwk: key.jwk, bits: 2048, addedAt: '', addedBy: 'bench' }] };
  const index = indexOfNames(['acme'], 1);
  const handler = createAuthorizerHandler({ keyStore: { getKeys: () => Promise.resolve(record), readNameIndex: () => Promise.resolve(index) }, config });
  const expired = authorizerEvent(`Bearer ${mintBenchToken(key, nowSeconds - 3600).token}`);
  const madeUp = authorizerEvent(`Bearer ${mintBenchToken(key, nowSeconds, 'made-up-name').token}`);
  for (const event of [expired, madeUp]) {
    const result = await handler(event, lambdaContext);
    if (result.policyDocument.Statement[0]?.Effect !== 'Deny') throw new Error('the deny bench token was not denied');
  }
  const headers = expired.headers;
  const medians = await measureInterleaved(
    [
      {
        name: 'floor',
        fn: () => {
          const bearer = extractBearerToken(headers, undefined);
          if (bearer.ok) checkTokenBeforeSignature(bearer.token, Date.now() / 1000, config.tokenRules);
        },
      },
      { name: 'keygate', fn: () => handler(expired, lambdaContext) },
      { name: 'made-up-name', fn: () => handler(madeUp, lambdaContext) },
    ],
    options,
  );
  return {
    case: 'handler-deny-expired',
    unit: 'us',
    floor: medians.get('floor') ?? Number.NaN,
    keygate: medians.get('keygate') ?? Number.NaN,
    peers: { 'made-up-name (index, no read)': medians.get('made-up-name') ?? Number.NaN },
  };
}
