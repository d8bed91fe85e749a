/**
 * One contender of one case, run `iterations` times in a process of its own under cachegrind
 * (bench/lib/instructions.ts counts it). The key comes from a file so that every process uses the
 * same key; the clock is pinned, the jti fixed: the token, and so the work, is identical in every
 * run. Setup and start-up are counted too, which is why the parent takes the difference of two
 * iteration counts.
 *
 * Usage: node child.mjs <case> <contender> <iterations> <private key PEM file>
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { benchKeyFrom, mintBenchToken } from '../lib/fixtures.js';
import type { Contender } from '../lib/measure.js';
import { verifyContenders } from '../lib/verify-contenders.js';
import { warmHandlerContenders } from '../lib/warm-handler.js';

const FIXED_NOW_SECONDS = 1_790_000_000;
const FIXED_JTI = '6f1c2a9e-3b7d-4e0f-9a51-2c8d7e4b1f03';

const [caseName = '', contenderName = '', iterationsArg = '', keyFile = ''] = process.argv.slice(2);
const iterations = Number(iterationsArg);
if (!Number.isSafeInteger(iterations) || iterations < 0 || !keyFile) throw new Error('usage: child.mjs <case> <contender> <iterations> <key file>');

Date.now = () => FIXED_NOW_SECONDS * 1000;
const key = benchKeyFrom(createPrivateKey(readFileSync(keyFile, 'utf8')));
const minted = mintBenchToken(key, FIXED_NOW_SECONDS, undefined, FIXED_JTI);

async function contenderFor(): Promise<Contender | undefined> {
  if (caseName === `verify-${key.bits}`) {
    return (await verifyContenders(key, minted, FIXED_NOW_SECONDS)).contenders.find((c) => c.name === contenderName);
  }
  if (caseName === `handler-warm-${key.bits}`) {
    const { floor, keygate, sketch } = await warmHandlerContenders(key, minted);
    return [floor, keygate, sketch].find((c) => c.name === contenderName);
  }
  return undefined;
}

const contender = await contenderFor();
if (!contender) throw new Error(`no contender ${contenderName} in case ${caseName} (key of ${key.bits} bits)`);
for (let i = 0; i < iterations; i++) {
  const outcome = contender.fn();
  if ((outcome instanceof Promise ? await outcome : outcome) === false) throw new Error(`${contenderName} refused the bench token`);
}
