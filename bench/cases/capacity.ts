/**
 * `npm run bench -- --only=capacity`: the capacity model of docs/capacity.md. Runs the real key cache
 * (CachingKeyResolver) and name index against a fake clock and a counting store, for a sample of
 * simulated warm containers per load, before (no index: per-name reads, unknown-name budget) and
 * after (the name index). Prints the markdown tables of docs/capacity.md to stderr.
 */
import { performance } from 'node:perf_hooks';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { CachingKeyResolver } from '../../lambdas/key-store/key-cache.js';
import type { KeyRecord, KeyStore } from '../../lambdas/key-store/key-store.js';
import { indexOfNames } from '../../lambdas/key-store/name-index.js';
import { authorizerEvent, lambdaContext } from '../lib/event.js';
import { benchKey, mintBenchToken } from '../lib/fixtures.js';
import type { CaseResult } from '../lib/report.js';

/** List prices, us-east-1, as published by AWS (Secrets Manager, Lambda arm64, API Gateway REST first tier); dated in docs/capacity.md. */
export const PRICES = {
  secretPerMonth: 0.4,
  secretsManagerPer10kCalls: 0.05,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  apiGatewayRestPerMillion: 3.5,
} as const;
export const GET_SECRET_VALUE_QUOTA_PER_SECOND = 10_000;
const SECONDS_PER_MONTH = 30 * 86_400;
const AUTHORIZER_MEMORY_GB = 1;
/** Assumptions stated in docs/capacity.md: the runtime's own time per invocation, and how busy Lambda keeps a container. */
const RUNTIME_OVERHEAD_MS = 1;
const UTILISATION = 0.5;
/** Simulated containers per load (all are alike: the totals scale by the container count). */
const SAMPLE_CONTAINERS = 4;
const SIMULATED_SECONDS = 300;
/** Steady state: calls counted after the first two key-cache windows. */
const STEADY_FROM_SECONDS = 120;

export interface CapacityRow {
  readonly rps: number;
  readonly names: number;
  readonly containers: number;
  readonly mode: 'before' | 'after';
  /** Secrets Manager GetSecretValue calls per second, all containers, steady state. */
  readonly callsPerSecond: number;
  /** Requests with a valid token for a registered name that were denied (the budget of the old design). */
  readonly deniedRegisteredShare: number;
  readonly dollarsPerMonth: { readonly secretsManager: number; readonly lambda: number; readonly apiGateway: number };
}

/** Mean time of a warm allow through the real handler (2048-bit key, cached, stdout discarded). */
async function measureHandlerMs(): Promise<number> {
  const key = benchKey(2048);
  const { token } = mintBenchToken(key, Math.floor(Date.now() / 1000));
  const record: KeyRecord = { name: 'acme', keys: [{ kid: key.kid, jwk: key.jwk, bits: 2048, addedAt: '', addedBy: 'bench' }] };
  const handler = createAuthorizerHandler({ keyStore: { getKeys: () => Promise.resolve(record) }, config: readConfig({ KEYGATE_KEY_CACHE_SECONDS: '900' }) });
  const event = authorizerEvent(`Bearer ${token}`);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (let i = 0; i < 500; i++) await handler(event, lambdaContext);
    const rounds = 3_000;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) await handler(event, lambdaContext);
    return (performance.now() - start) / rounds;
  } finally {
    process.stdout.write = write;
  }
}

/** A seeded uniform choice, so runs compare. */
function picker(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
}

/** One container's Secrets Manager calls and denied registered names over the simulated time. */
async function simulateContainer(mode: 'before' | 'after', names: readonly string[], perSecond: number, seed: number, record: (name: string) => KeyRecord) {
  const config = readConfig({});
  const clock = { now: 1_790_000_000_000 };
  const start = clock.now;
  let steadyCalls = 0;
  const count = () => {
    if (clock.now - start >= STEADY_FROM_SECONDS * 1000) steadyCalls++;
  };
  const index = indexOfNames(names, 1);
  const store: Pick<KeyStore, 'getKeys'> & Partial<Pick<KeyStore, 'readNameIndex'>> = {
    getKeys: (name) => (count(), Promise.resolve(record(name))),
    ...(mode === 'after' ? { readNameIndex: () => (count(), Promise.resolve(index)) } : {}),
  };
  const resolver = new CachingKeyResolver(store, {
    keyCacheSeconds: config.keyCacheSeconds,
    unknownKeyCacheSeconds: config.unknownKeyCacheSeconds,
    staleIfErrorSeconds: config.staleIfErrorSeconds,
    keySizeLimits: config.keySizeLimits,
    now: () => clock.now,
  });
  const pick = picker(seed);
  const requests = Math.round(perSecond * SIMULATED_SECONDS);
  let denied = 0;
  for (let i = 0; i < requests; i++) {
    clock.now = start + Math.floor((i * 1000) / perSecond);
    const found = resolver.resolve(names[pick(names.length)]!);
    const lookup = 'then' in found ? await found : found;
    if (!lookup.keys?.length) denied++;
  }
  return { steadyCalls, denied, requests };
}

export async function capacityRows(): Promise<{ handlerMs: number; rows: CapacityRow[] }> {
  const handlerMs = await measureHandlerMs();
  const key = benchKey(2048);
  const keys = [{ kid: key.kid, jwk: key.jwk, bits: 2048, addedAt: '', addedBy: 'bench' }];
  const record = (name: string): KeyRecord => ({ name, keys });
  const rows: CapacityRow[] = [];
  const busySeconds = (handlerMs + RUNTIME_OVERHEAD_MS) / 1000;
  const billedSeconds = Math.ceil(handlerMs) / 1000;
  for (const rps of [100, 1_000, 10_000]) {
    const containers = Math.max(1, Math.ceil((rps * busySeconds) / UTILISATION));
    const perContainer = rps / containers;
    for (const count of [10, 1_000, 10_000]) {
      const names = Array.from({ length: count }, (_, i) => `customer-${i}`);
      for (const mode of ['before', 'after'] as const) {
        const sample = Math.min(SAMPLE_CONTAINERS, containers);
        let steadyCalls = 0;
        let denied = 0;
        let requests = 0;
        for (let c = 0; c < sample; c++) {
          const result = await simulateContainer(mode, names, perContainer, c + 1, record);
          steadyCalls += result.steadyCalls;
          denied += result.denied;
          requests += result.requests;
        }
        const callsPerSecond = ((steadyCalls / sample) * containers) / (SIMULATED_SECONDS - STEADY_FROM_SECONDS);
        const secrets = count + (mode === 'after' ? 1 : 0);
        rows.push({
          rps,
          names: count,
          containers,
          mode,
          callsPerSecond,
          deniedRegisteredShare: denied / requests,
          dollarsPerMonth: {
            secretsManager: secrets * PRICES.secretPerMonth + ((callsPerSecond * SECONDS_PER_MONTH) / 10_000) * PRICES.secretsManagerPer10kCalls,
            lambda: ((rps * SECONDS_PER_MONTH) / 1e6) * PRICES.lambdaPerMillionRequests + rps * SECONDS_PER_MONTH * billedSeconds * AUTHORIZER_MEMORY_GB * PRICES.lambdaArmPerGbSecond,
            apiGateway: ((rps * SECONDS_PER_MONTH) / 1e6) * PRICES.apiGatewayRestPerMillion,
          },
        });
      }
    }
  }
  return { handlerMs, rows };
}

const money = (value: number) => `$${value < 100 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')}`;
const rate = (value: number) => (value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US'));

export function renderCapacityMarkdown(handlerMs: number, rows: readonly CapacityRow[]): string {
  const lines = [
    `Measured warm handler time (2048-bit key, cache hit): ${(handlerMs * 1000).toFixed(0)} µs; busy time per invocation with the assumed ${RUNTIME_OVERHEAD_MS} ms runtime round trip: ${(handlerMs + RUNTIME_OVERHEAD_MS).toFixed(2)} ms; containers at ${UTILISATION * 100} % utilisation.`,
    '',
    '| req/s | names | warm containers | design | GetSecretValue/s | share of 10,000/s quota | valid tokens denied | Secrets Manager $/month | Lambda $/month | API Gateway $/month | total $/month |',
    '|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const { secretsManager, lambda, apiGateway } = row.dollarsPerMonth;
    lines.push(
      `| ${row.rps.toLocaleString('en-US')} | ${row.names.toLocaleString('en-US')} | ${row.containers} | ${row.mode} | ${rate(row.callsPerSecond)} | ${((row.callsPerSecond / GET_SECRET_VALUE_QUOTA_PER_SECOND) * 100).toFixed(2)} % | ${(row.deniedRegisteredShare * 100).toFixed(1)} % | ${money(secretsManager)} | ${money(lambda)} | ${money(apiGateway)} | ${money(secretsManager + lambda + apiGateway)} |`,
    );
  }
  return lines.join('\n');
}

/** The bench row: at 10,000 req/s and 10,000 names, calls/s after (keygate) against before (peer); floor = the index reads alone. */
export async function capacityCase(): Promise<CaseResult> {
  const { handlerMs, rows } = await capacityRows();
  process.stderr.write(`${renderCapacityMarkdown(handlerMs, rows)}\n`);
  const at = (mode: 'before' | 'after') => rows.find((row) => row.rps === 10_000 && row.names === 10_000 && row.mode === mode)!;
  const after = at('after');
  return {
    case: 'capacity-10000rps-10000names',
    unit: 'calls',
    floor: Math.round((after.containers / 60) * 100) / 100,
    keygate: Math.round(after.callsPerSecond * 100) / 100,
    peers: { before: Math.round(at('before').callsPerSecond * 100) / 100 },
  };
}
