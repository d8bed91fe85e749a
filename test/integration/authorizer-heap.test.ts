import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import { readConfig } from '../../lambdas/core/config.js';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
import { authorizerEvent, lambdaContext } from '../helpers/events.js';
import { mintToken, rsaKeyPair, signRaw } from '../helpers/keys.js';
import { storedKey } from '../helpers/stored-keys.js';

// A gc() for this file only, without a vitest setting for every test file.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = mkdtempSync(join(tmpdir(), 'keygate-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_790_000_000_000;
const ROUNDS = 20_000;
const MB = 1024 * 1024;

/** Heap after a full collection (twice: finalizers of the first pass free more in the second). */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Lambda turns the event loop between invocations: pending callbacks and microtasks run there. */
const turnEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('a warm container under a long run of denials and allows (real handler, file key store)', () => {
  it(`keeps the heap flat over ${ROUNDS} denials and ${ROUNDS} allows`, async () => {
    // Prepare
    const pair = rsaKeyPair(2048);
    const store = new FileKeyStore(join(dir, 'keys.json'));
    await store.addKey('acme', storedKey('default'));
    const handler = createAuthorizerHandler({ keyStore: store, config: readConfig({}), now: () => T0 });
    const iat = Math.floor(T0 / 1000);
    const allowEvent = authorizerEvent({ authorization: `Bearer ${await mintToken(pair, { nowSeconds: iat })}` });
    // Three denial paths: claims (before any key), a name the index does not hold, a bad signature.
    const denyEvents = [
      authorizerEvent({ authorization: `Bearer ${await mintToken(pair, { nowSeconds: iat - 3600 })}` }),
      authorizerEvent({ authorization: `Bearer ${signRaw(pair, '{"alg":"RS512"}', JSON.stringify({ sub: 'ces:customer:made-up', iat, exp: iat + 60, jti: 'j' }))}` }),
      authorizerEvent({ authorization: `Bearer ${await mintToken(rsaKeyPair(2048, 'other'), { nowSeconds: iat })}` }),
    ];
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write; // stdout to /dev/null, as measured in the issue
    const decisions = { Allow: 0, Deny: 0 };
    const run = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        for (const event of [allowEvent, denyEvents[i % denyEvents.length]!]) {
          const result = await handler(event, lambdaContext);
          const effect = (result.policyDocument.Statement[0] as { Effect: 'Allow' | 'Deny' }).Effect;
          decisions[effect]++;
          await turnEventLoop();
        }
      }
    };
    try {
      // Act
      await run(2_000); // warm-up: caches, lazily built objects, JIT
      const before = heapAfterGc();
      decisions.Allow = decisions.Deny = 0;
      await run(ROUNDS);
      const after = heapAfterGc();

      // Assess
      expect(decisions).toEqual({ Allow: ROUNDS, Deny: ROUNDS });
      // 7 KB held per denial (a Metrics per call) would be +140 MB here; bounded caches add nothing new.
      expect((after - before) / MB).toBeLessThan(2);
    } finally {
      process.stdout.write = write;
    }
  }, 120_000);
});
