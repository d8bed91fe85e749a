/**
 * The handler cases, run in a child process whose stdout and stderr are /dev/null: Powertools writes
 * one JSON log line and one EMF document per invocation to stdout with a real write(2) each, as in
 * Lambda (where a pipe to the runtime takes them), without a terminal or a reader slowing it down.
 * Results go back to the parent over the IPC channel.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createAuthorizerHandler } from '../lambdas/authorizer/create-handler.js';
import { readConfig } from '../lambdas/core/config.js';
import { handlerDenyCase } from './cases/handler-deny.js';
import { authorizerEvent, lambdaContext } from './lib/event.js';
import { benchKey, mintBenchToken } from './lib/fixtures.js';
import { measureInterleaved, type MeasureOptions } from './lib/measure.js';
import type { CaseResult } from './lib/report.js';
import { warmHandlerContenders } from './lib/warm-handler.js';

async function handlerWarm(options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(4096);
  const minted = mintBenchToken(key, Math.floor(Date.now() / 1000));
  const { floor, keygate, sketch } = await warmHandlerContenders(key, minted);
  const medians = await measureInterleaved([floor, keygate, sketch], options);
  return {
    case: 'handler-warm-4096',
    unit: 'us',
    floor: medians.get('floor') ?? Number.NaN,
    keygate: medians.get('keygate') ?? Number.NaN,
    peers: { 'single-write-sketch': medians.get('single-write-sketch') ?? Number.NaN },
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
