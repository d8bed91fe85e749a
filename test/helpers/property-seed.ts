import fc from 'fast-check';

/**
 * One fixed seed for every fast-check property, so a run is repeatable and a failure replays:
 * `FC_SEED=<seed> npx vitest run <file>` (fast-check's failure message also gives the seed and
 * the path of the shrunk counterexample). Import this module before calling fc.assert.
 */
export const DEFAULT_PROPERTY_SEED = 20261204;

function seedFromEnvironment(): number {
  const text = process.env['FC_SEED'];
  if (text === undefined || text.trim() === '') return DEFAULT_PROPERTY_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer; got ${JSON.stringify(text)}`);
  return seed;
}

export const PROPERTY_SEED = seedFromEnvironment();

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: PROPERTY_SEED });
console.info(`fast-check seed ${PROPERTY_SEED} (replay or vary with FC_SEED=<integer>)`);
