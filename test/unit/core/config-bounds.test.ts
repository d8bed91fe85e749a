import { describe, expect, it } from 'vitest';
import { ConfigError, CONFIG_VARIABLE_NAMES, configEnvironment, DEFAULT_SECRET_PREFIX, readConfig, type KeygateConfig } from '../../../lambdas/core/config.js';

type Env = Record<string, string>;

function refusal(env: Env): { name: string; message: string } {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { name: error.name, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

// Each integer variable: where it lands, its default and its inclusive range (DESIGN.md, "Configuration").
const INTEGERS: [string, (config: KeygateConfig) => number, number, number, number, Env?][] = [
  ['KEYGATE_CLOCK_SKEW_SECONDS', (c) => c.tokenRules.clockSkewSeconds, 30, 0, 300],
  ['KEYGATE_MAX_TOKEN_LIFETIME_SECONDS', (c) => c.tokenRules.maxLifetimeSeconds, 1800, 60, 1800],
  ['KEYGATE_KEY_CACHE_SECONDS', (c) => c.keyCacheSeconds, 60, 0, 900],
  ['KEYGATE_UNKNOWN_KEY_CACHE_SECONDS', (c) => c.unknownKeyCacheSeconds, 10, 0, 300],
  ['KEYGATE_STALE_IF_ERROR_SECONDS', (c) => c.staleIfErrorSeconds, 300, 0, 3600],
  ['KEYGATE_MIN_KEY_BITS', (c) => c.keySizeLimits.minBits, 2048, 2048, 8192, { KEYGATE_MAX_KEY_BITS: '8192' }],
  ['KEYGATE_MAX_KEY_BITS', (c) => c.keySizeLimits.maxBits, 4096, 2048, 8192],
  ['KEYGATE_RECOVERY_WINDOW_DAYS', (c) => c.recoveryWindowDays, 7, 7, 30],
  ['KEYGATE_REVOCATION_CACHE_SECONDS', (c) => c.revocationCacheSeconds, 60, 0, 900],
  ['KEYGATE_AUTHORIZER_CACHE_SECONDS', (c) => c.authorizerCacheSeconds, 0, 0, 3600],
];

describe('integer variables: default, inclusive range, and the sentence that names all three', () => {
  it.each(INTEGERS)('%s', (name, read, fallback, min, max, others = {}) => {
    expect(read(readConfig(others))).toBe(fallback);
    expect(read(readConfig({ ...others, [name]: '' }))).toBe(fallback);
    expect(read(readConfig({ ...others, [name]: String(min) }))).toBe(min);
    expect(read(readConfig({ ...others, [name]: String(max) }))).toBe(max);
    expect(refusal({ ...others, [name]: String(min - 1) })).toEqual({ name: 'ConfigError', message: `${name}="${min - 1}" is invalid: expected an integer from ${min} to ${max} (default ${fallback})` });
    expect(refusal({ ...others, [name]: String(max + 1) })).toEqual({ name: 'ConfigError', message: `${name}="${max + 1}" is invalid: expected an integer from ${min} to ${max} (default ${fallback})` });
  });

  it('surrounding spaces are allowed; anything but a plain decimal integer is refused', () => {
    expect(readConfig({ KEYGATE_KEY_CACHE_SECONDS: ' 45 ' }).keyCacheSeconds).toBe(45);
    expect(readConfig({ KEYGATE_MAX_KEY_AGE_DAYS: ' 365 ' }).maxKeyAgeDays).toBe(365);
    expect(readConfig({ KEYGATE_KEY_CACHE_SECONDS: '045' }).keyCacheSeconds).toBe(45);
    for (const raw of ['1e2', '0x10', '+5', '5.0', '4 5', 'x5', '5x', '-', ' ', '9007199254740993']) {
      expect(refusal({ KEYGATE_KEY_CACHE_SECONDS: raw }), raw).toEqual({ name: 'ConfigError', message: `KEYGATE_KEY_CACHE_SECONDS=${JSON.stringify(raw)} is invalid: expected an integer from 0 to 900 (default 60)` });
    }
  });

  it('key sizes: a minimum equal to the maximum is fine, above it is refused', () => {
    expect(readConfig({ KEYGATE_MIN_KEY_BITS: '3072', KEYGATE_MAX_KEY_BITS: '3072' }).keySizeLimits).toEqual({ minBits: 3072, maxBits: 3072 });
    expect(refusal({ KEYGATE_MIN_KEY_BITS: '4096', KEYGATE_MAX_KEY_BITS: '3072' })).toEqual({ name: 'ConfigError', message: 'KEYGATE_MIN_KEY_BITS=4096 is above KEYGATE_MAX_KEY_BITS=3072' });
  });
});

describe('name variables', () => {
  const PREFIX_RULE = 'use 1-256 characters of A-Za-z0-9/_+=.@-';

  it('the secret prefix: the default when unset or empty; every allowed character; 256 characters at most', () => {
    expect(DEFAULT_SECRET_PREFIX).toBe('keygate/keys/');
    expect(readConfig({}).secretPrefix).toBe('keygate/keys/');
    expect(readConfig({ KEYGATE_SECRET_PREFIX: '' }).secretPrefix).toBe('keygate/keys/');
    expect(readConfig({ KEYGATE_SECRET_PREFIX: 'aZ09/_+=.@-' }).secretPrefix).toBe('aZ09/_+=.@-');
    expect(readConfig({ KEYGATE_SECRET_PREFIX: 'p'.repeat(256) }).secretPrefix).toBe('p'.repeat(256));
    for (const bad of ['p'.repeat(257), 'a b', 'a:b', 'é', 'keys/\n']) {
      expect(refusal({ KEYGATE_SECRET_PREFIX: bad }), bad).toEqual({ name: 'ConfigError', message: `KEYGATE_SECRET_PREFIX=${JSON.stringify(bad)} is invalid: ${PREFIX_RULE} (default keygate/keys/)` });
    }
  });

  it('the revocation secret: unset or empty turns the check off; the same characters as the prefix', () => {
    expect(readConfig({ KEYGATE_REVOCATION_SECRET: '' }).revocationSecret).toBeUndefined();
    expect(readConfig({ KEYGATE_REVOCATION_SECRET: 'team/revoked' }).revocationSecret).toBe('team/revoked');
    expect(refusal({ KEYGATE_REVOCATION_SECRET: 'a:b' })).toEqual({ name: 'ConfigError', message: `KEYGATE_REVOCATION_SECRET="a:b" is invalid: ${PREFIX_RULE}` });
    expect(refusal({ KEYGATE_REVOCATION_SECRET: 'r'.repeat(257) })).toMatchObject({ name: 'ConfigError' });
  });

  it('the replay table: unset or empty is none; 3 to 255 of A-Za-z0-9_.-', () => {
    expect(readConfig({ KEYGATE_REPLAY_TABLE: '' }).replayTable).toBeUndefined();
    expect(readConfig({ KEYGATE_REPLAY_TABLE: 'a_.' }).replayTable).toBe('a_.');
    expect(readConfig({ KEYGATE_REPLAY_TABLE: 't'.repeat(255) }).replayTable).toBe('t'.repeat(255));
    expect(readConfig({ KEYGATE_REPLAY_TABLE: 'Replay-9' }).replayTable).toBe('Replay-9');
    for (const bad of ['ab', 't'.repeat(256), 'a b', 'a/b', 'tablé']) {
      expect(refusal({ KEYGATE_REPLAY_TABLE: bad }), bad).toEqual({ name: 'ConfigError', message: `KEYGATE_REPLAY_TABLE=${JSON.stringify(bad)} is not a valid DynamoDB table name` });
    }
  });

  it('the default binding: none when unset or empty; each policy by name', () => {
    expect(readConfig({ KEYGATE_DEFAULT_BINDING: '' }).defaultBinding).toBe('none');
    for (const binding of ['none', 'subject', 'thumbprint']) expect(readConfig({ KEYGATE_DEFAULT_BINDING: binding }).defaultBinding).toBe(binding);
    expect(refusal({ KEYGATE_DEFAULT_BINDING: 'Subject' })).toEqual({ name: 'ConfigError', message: 'KEYGATE_DEFAULT_BINDING="Subject" is invalid: expected one of none, subject, thumbprint (default none)' });
  });
});

describe('configEnvironment', () => {
  it('names every variable, in this order', () => {
    expect(CONFIG_VARIABLE_NAMES).toEqual([
      'KEYGATE_SECRET_PREFIX',
      'KEYGATE_CLOCK_SKEW_SECONDS',
      'KEYGATE_MAX_TOKEN_LIFETIME_SECONDS',
      'KEYGATE_KEY_CACHE_SECONDS',
      'KEYGATE_UNKNOWN_KEY_CACHE_SECONDS',
      'KEYGATE_STALE_IF_ERROR_SECONDS',
      'KEYGATE_MIN_KEY_BITS',
      'KEYGATE_MAX_KEY_BITS',
      'KEYGATE_RECOVERY_WINDOW_DAYS',
      'KEYGATE_DEFAULT_BINDING',
      'KEYGATE_REPLAY_TABLE',
      'KEYGATE_REVOCATION_SECRET',
      'KEYGATE_REVOCATION_CACHE_SECONDS',
      'KEYGATE_AUTHORIZER_CACHE_SECONDS',
      'KEYGATE_MAX_KEY_AGE_DAYS',
    ]);
  });

  it('writes the defaults as text, leaving out what is off (no replay table, no revocation list, no result cache)', () => {
    expect(configEnvironment(readConfig({}))).toStrictEqual({
      KEYGATE_SECRET_PREFIX: 'keygate/keys/',
      KEYGATE_CLOCK_SKEW_SECONDS: '30',
      KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: '1800',
      KEYGATE_KEY_CACHE_SECONDS: '60',
      KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '10',
      KEYGATE_STALE_IF_ERROR_SECONDS: '300',
      KEYGATE_MIN_KEY_BITS: '2048',
      KEYGATE_MAX_KEY_BITS: '4096',
      KEYGATE_RECOVERY_WINDOW_DAYS: '7',
      KEYGATE_DEFAULT_BINDING: 'none',
      KEYGATE_REVOCATION_CACHE_SECONDS: '60',
    });
  });

  it('writes the result cache TTL from 1 second up', () => {
    expect(configEnvironment({ ...readConfig({}), authorizerCacheSeconds: 1 }, ['KEYGATE_AUTHORIZER_CACHE_SECONDS'])).toStrictEqual({ KEYGATE_AUTHORIZER_CACHE_SECONDS: '1' });
  });
});
