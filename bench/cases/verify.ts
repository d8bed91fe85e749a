import { verify } from 'node:crypto';
import { benchKey, mintBenchToken, tamper } from '../lib/fixtures.js';
import { measureInterleaved, type MeasureOptions } from '../lib/measure.js';
import type { CaseResult } from '../lib/report.js';
import { verifyContenders } from '../lib/verify-contenders.js';

/**
 * verify-<bits>: a full token check (parse, header, claims, signature) with a warm key, against
 * crypto.verify over the same signing input and the libraries a user would otherwise pick.
 */
export async function verifyCase(bits: number, options: MeasureOptions): Promise<CaseResult> {
  const key = benchKey(bits);
  const minted = mintBenchToken(key, Math.floor(Date.now() / 1000));
  const { contenders, accepts } = await verifyContenders(key, minted);
  await checkContenders(contenders.map((c) => c.name), minted.token, accepts);
  if (!verify('sha512', minted.signingInput, key.publicKey, minted.signature)) throw new Error('floor refused the token');

  const medians = await measureInterleaved(contenders, options);
  const peers: Record<string, number> = {};
  for (const c of contenders.slice(2)) peers[c.name] = medians.get(c.name) ?? Number.NaN;
  return { case: `verify-${bits}`, unit: 'us', floor: medians.get('floor') ?? Number.NaN, keygate: medians.get('keygate') ?? Number.NaN, peers };
}

/** Every contender accepts the token and refuses it with one signature bit flipped: then it really checked the signature. */
export async function checkContenders(names: readonly string[], token: string, accepts: (name: string, token: string) => Promise<boolean>): Promise<void> {
  const tampered = tamper(token);
  for (const name of names.filter((n) => n !== 'floor')) {
    if (!(await accepts(name, token))) throw new Error(`${name} refused a valid token`);
    if (await accepts(name, tampered)) throw new Error(`${name} accepted a tampered token`);
  }
}
