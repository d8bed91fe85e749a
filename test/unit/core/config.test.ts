import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, configEnvironment, configFromSettings, readConfig, type ConfigSetting, type ConfigSettings, type KeygateConfig } from '../../../lambdas/core/config.js';

describe('readConfig', () => {
  it('applies the documented defaults', () => {
    expect(readConfig({})).toEqual({
      secretPrefix: 'keygate/keys/',
      tokenRules: { clockSkewSeconds: 30, maxLifetimeSeconds: 1800 },
      keyCacheSeconds: 60,
      unknownKeyCacheSeconds: 10,
      staleIfErrorSeconds: 300,
      keySizeLimits: { minBits: 2048, maxBits: 4096 },
      recoveryWindowDays: 7,
      replayTable: undefined,
      defaultBinding: 'none',
      revocationSecret: undefined,
      revocationCacheSeconds: 60,
      authorizerCacheSeconds: 0,
      maxKeyAgeDays: undefined,
    });
    expect(readConfig({}).maxKeyAgeDays).toBeUndefined();
  });

  it('reads the key-age limit: off when unset or empty, 1 to 3650 days when set', () => {
    expect(readConfig({ KEYGATE_MAX_KEY_AGE_DAYS: '' }).maxKeyAgeDays).toBeUndefined();
    expect(readConfig({ KEYGATE_MAX_KEY_AGE_DAYS: '1' }).maxKeyAgeDays).toBe(1);
    expect(readConfig({ KEYGATE_MAX_KEY_AGE_DAYS: '3650' }).maxKeyAgeDays).toBe(3650);
  });

  it('reads every variable', () => {
    const config = readConfig({
      KEYGATE_SECRET_PREFIX: 'team/keys/',
      KEYGATE_CLOCK_SKEW_SECONDS: '0',
      KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: '60',
      KEYGATE_KEY_CACHE_SECONDS: '900',
      KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: '0',
      KEYGATE_STALE_IF_ERROR_SECONDS: '3600',
      KEYGATE_MIN_KEY_BITS: '3072',
      KEYGATE_MAX_KEY_BITS: '8192',
      KEYGATE_RECOVERY_WINDOW_DAYS: '30',
      KEYGATE_REPLAY_TABLE: 'keygate-replay',
    });
    expect(config).toMatchObject({ secretPrefix: 'team/keys/', tokenRules: { clockSkewSeconds: 0, maxLifetimeSeconds: 60 }, keySizeLimits: { minBits: 3072, maxBits: 8192 }, replayTable: 'keygate-replay' });
  });

  it.each([
    ['KEYGATE_CLOCK_SKEW_SECONDS', '301', /KEYGATE_CLOCK_SKEW_SECONDS="301" is invalid: expected an integer from 0 to 300/],
    ['KEYGATE_CLOCK_SKEW_SECONDS', '-1', /from 0 to 300/],
    ['KEYGATE_MAX_TOKEN_LIFETIME_SECONDS', '1801', /from 60 to 1800/],
    ['KEYGATE_MAX_TOKEN_LIFETIME_SECONDS', '59', /from 60 to 1800/],
    ['KEYGATE_KEY_CACHE_SECONDS', '1.5', /KEYGATE_KEY_CACHE_SECONDS="1.5"/],
    ['KEYGATE_KEY_CACHE_SECONDS', 'abc', /from 0 to 900/],
    ['KEYGATE_UNKNOWN_KEY_CACHE_SECONDS', '301', /from 0 to 300/],
    ['KEYGATE_STALE_IF_ERROR_SECONDS', '3601', /from 0 to 3600/],
    ['KEYGATE_MAX_KEY_BITS', '16384', /from 2048 to 8192/],
    ['KEYGATE_MIN_KEY_BITS', '1024', /from 2048 to 8192/],
    ['KEYGATE_RECOVERY_WINDOW_DAYS', '6', /from 7 to 30/],
    ['KEYGATE_SECRET_PREFIX', 'bad:prefix', /KEYGATE_SECRET_PREFIX="bad:prefix" is invalid/],
    ['KEYGATE_REPLAY_TABLE', 'no spaces', /KEYGATE_REPLAY_TABLE/],
    ['KEYGATE_DEFAULT_BINDING', 'strict', /KEYGATE_DEFAULT_BINDING="strict" is invalid: expected one of none, subject, thumbprint/],
    ['KEYGATE_REVOCATION_SECRET', 'a:b', /KEYGATE_REVOCATION_SECRET/],
    ['KEYGATE_REVOCATION_CACHE_SECONDS', '901', /from 0 to 900/],
    ['KEYGATE_AUTHORIZER_CACHE_SECONDS', '3601', /from 0 to 3600/],
    ['KEYGATE_MAX_KEY_AGE_DAYS', '0', /KEYGATE_MAX_KEY_AGE_DAYS="0" is invalid: expected an integer from 1 to 3650 \(default unset: off\)/],
    ['KEYGATE_MAX_KEY_AGE_DAYS', '3651', /from 1 to 3650/],
    ['KEYGATE_MAX_KEY_AGE_DAYS', '365d', /KEYGATE_MAX_KEY_AGE_DAYS="365d"/],
  ])('refuses %s=%s, naming the variable, the value and the range', (name, value, message) => {
    expect(() => readConfig({ [name]: value })).toThrow(message);
  });

  it('refuses a minimum above the maximum', () => {
    expect(() => readConfig({ KEYGATE_MIN_KEY_BITS: '4096', KEYGATE_MAX_KEY_BITS: '3072' })).toThrow(/above KEYGATE_MAX_KEY_BITS/);
  });
});

describe('configEnvironment', () => {
  const everythingSet: KeygateConfig = {
    secretPrefix: 'team/keys/',
    tokenRules: { clockSkewSeconds: 5, maxLifetimeSeconds: 600 },
    keyCacheSeconds: 120,
    unknownKeyCacheSeconds: 3,
    staleIfErrorSeconds: 900,
    keySizeLimits: { minBits: 3072, maxBits: 8192 },
    recoveryWindowDays: 14,
    replayTable: 'keygate-replay',
    defaultBinding: 'thumbprint',
    revocationSecret: 'team/revoked-certificates',
    revocationCacheSeconds: 30,
    authorizerCacheSeconds: 60,
    maxKeyAgeDays: 400,
  };

  it('round-trips through readConfig: every field written is read back as it was', () => {
    expect(readConfig(configEnvironment(everythingSet))).toEqual(everythingSet);
    expect(readConfig(configEnvironment(readConfig({})))).toEqual(readConfig({}));
  });

  it('writes only the variables named, in that order, and leaves out values the config does not have', () => {
    const config = { ...everythingSet, replayTable: undefined };
    expect(configEnvironment(config, ['KEYGATE_MAX_KEY_BITS', 'KEYGATE_REPLAY_TABLE', 'KEYGATE_SECRET_PREFIX'])).toStrictEqual({ KEYGATE_MAX_KEY_BITS: '8192', KEYGATE_SECRET_PREFIX: 'team/keys/' });
  });

  describe('configFromSettings (the construct\'s typed settings)', () => {
    const everySetting = {
      secretPrefix: 'team/keys/',
      clockSkewSeconds: 5,
      maxTokenLifetimeSeconds: 600,
      keyCacheSeconds: 120,
      unknownKeyCacheSeconds: 3,
      staleIfErrorSeconds: 900,
      minKeyBits: 3072,
      maxKeyBits: 8192,
      recoveryWindowDays: 14,
      defaultBinding: 'thumbprint',
      replayTable: 'keygate-replay',
      revocationSecret: 'team/revoked-certificates',
      revocationCacheSeconds: 30,
      authorizerCacheSeconds: 60,
      maxKeyAgeDays: 400,
    } as const;

    it('has a variable for every setting and a setting for every variable (a type test: tsc fails when one is added alone)', () => {
      expectTypeOf<ConfigSetting>().toEqualTypeOf<keyof ConfigSettings>();
      expectTypeOf(everySetting).toExtend<Required<ConfigSettings>>();
    });

    it('gives the defaults of readConfig when nothing is set', () => {
      expect(configFromSettings({})).toEqual(readConfig({}));
    });

    it('round-trips: every setting reaches its field, and the environment written from it reads back the same config', () => {
      const config = configFromSettings(everySetting);
      expect(config).toEqual(everythingSet);
      expect(readConfig(configEnvironment(config))).toEqual(config);
    });

    it('refuses a bad value as readConfig does, naming its variable', () => {
      expect(() => configFromSettings({ clockSkewSeconds: 301 })).toThrow(new ConfigError('KEYGATE_CLOCK_SKEW_SECONDS="301" is invalid: expected an integer from 0 to 300 (default 30)'));
      expect(() => configFromSettings({ keyCacheSeconds: 1.5 })).toThrow(ConfigError);
      expect(() => configFromSettings({ defaultBinding: 'strict' })).toThrow(/^KEYGATE_DEFAULT_BINDING="strict" is invalid/);
    });
  });
});
