import { ABSOLUTE_MAX_KEY_BITS, type KeySizeLimits } from './key-material.js';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from './certificate-binding.js';
import type { TokenRules } from './token-rules.js';

/** Configuration shared by the authorizer, registration and the local server (DESIGN.md, "Configuration"). */
export interface KeygateConfig {
  readonly secretPrefix: string;
  readonly tokenRules: TokenRules;
  readonly keyCacheSeconds: number;
  readonly unknownKeyCacheSeconds: number;
  readonly staleIfErrorSeconds: number;
  readonly keySizeLimits: KeySizeLimits;
  readonly recoveryWindowDays: number;
  readonly replayTable: string | undefined;
  /** Binding given to names registered without one. */
  readonly defaultBinding: BindingPolicy;
  /** Secret holding the revoked client certificates; unset turns the check off (deployed). */
  readonly revocationSecret: string | undefined;
  readonly revocationCacheSeconds: number;
  /**
   * API Gateway's authorizer result cache TTL (the construct sets it): the cache is keyed by the token
   * alone, so with it on a certificate binding cannot be enforced and bound names fail closed.
   */
  readonly authorizerCacheSeconds: number;
  /** Keys registered more than this many days ago are refused (key_expired); undefined: no limit (the default). */
  readonly maxKeyAgeDays: number | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  return optionalInteger(env, name, min, max, String(fallback)) ?? fallback;
}

/** An integer variable without a default: unset (or empty) is undefined. */
function optionalInteger(env: Env, name: string, min: number, max: number, shownDefault = 'unset: off'): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max} (default ${shownDefault})`);
  }
  return value;
}

/** Bounds of KEYGATE_MAX_KEY_AGE_DAYS: a day to ten years. */
export const MAX_KEY_AGE_DAYS_RANGE = { min: 1, max: 3650 } as const;

/** Where the per-name key secrets live unless configured: the only place this default is written. */
export const DEFAULT_SECRET_PREFIX = 'keygate/keys/';

const SECRET_PREFIX = /^[A-Za-z0-9/_+=.@-]{1,256}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Reads and validates the KEYGATE_* variables once; a bad value names the variable, its value and the range. */
export function readConfig(env: Env): KeygateConfig {
  const secretPrefix = env['KEYGATE_SECRET_PREFIX'] || DEFAULT_SECRET_PREFIX;
  if (!SECRET_PREFIX.test(secretPrefix)) {
    throw new ConfigError(`KEYGATE_SECRET_PREFIX=${JSON.stringify(secretPrefix)} is invalid: use 1-256 characters of A-Za-z0-9/_+=.@- (default ${DEFAULT_SECRET_PREFIX})`);
  }
  const minBits = integer(env, 'KEYGATE_MIN_KEY_BITS', 2048, 2048, ABSOLUTE_MAX_KEY_BITS);
  const maxBits = integer(env, 'KEYGATE_MAX_KEY_BITS', 4096, 2048, ABSOLUTE_MAX_KEY_BITS);
  if (minBits > maxBits) {
    throw new ConfigError(`KEYGATE_MIN_KEY_BITS=${minBits} is above KEYGATE_MAX_KEY_BITS=${maxBits}`);
  }
  const replayTable = env['KEYGATE_REPLAY_TABLE'] || undefined;
  if (replayTable !== undefined && !TABLE_NAME.test(replayTable)) {
    throw new ConfigError(`KEYGATE_REPLAY_TABLE=${JSON.stringify(replayTable)} is not a valid DynamoDB table name`);
  }
  const defaultBinding = env['KEYGATE_DEFAULT_BINDING'] || 'none';
  if (!isBindingPolicy(defaultBinding)) {
    throw new ConfigError(`KEYGATE_DEFAULT_BINDING=${JSON.stringify(defaultBinding)} is invalid: expected one of ${BINDING_POLICIES.join(', ')} (default none)`);
  }
  const revocationSecret = env['KEYGATE_REVOCATION_SECRET'] || undefined;
  if (revocationSecret !== undefined && !SECRET_PREFIX.test(revocationSecret)) {
    throw new ConfigError(`KEYGATE_REVOCATION_SECRET=${JSON.stringify(revocationSecret)} is invalid: use 1-256 characters of A-Za-z0-9/_+=.@-`);
  }
  return {
    secretPrefix,
    tokenRules: {
      clockSkewSeconds: integer(env, 'KEYGATE_CLOCK_SKEW_SECONDS', 30, 0, 300),
      maxLifetimeSeconds: integer(env, 'KEYGATE_MAX_TOKEN_LIFETIME_SECONDS', 1800, 60, 1800),
    },
    keyCacheSeconds: integer(env, 'KEYGATE_KEY_CACHE_SECONDS', 60, 0, 900),
    unknownKeyCacheSeconds: integer(env, 'KEYGATE_UNKNOWN_KEY_CACHE_SECONDS', 10, 0, 300),
    staleIfErrorSeconds: integer(env, 'KEYGATE_STALE_IF_ERROR_SECONDS', 300, 0, 3600),
    keySizeLimits: { minBits, maxBits },
    recoveryWindowDays: integer(env, 'KEYGATE_RECOVERY_WINDOW_DAYS', 7, 7, 30),
    replayTable,
    defaultBinding,
    revocationSecret,
    revocationCacheSeconds: integer(env, 'KEYGATE_REVOCATION_CACHE_SECONDS', 60, 0, 900),
    authorizerCacheSeconds: integer(env, 'KEYGATE_AUTHORIZER_CACHE_SECONDS', 0, 0, 3600),
    maxKeyAgeDays: optionalInteger(env, 'KEYGATE_MAX_KEY_AGE_DAYS', MAX_KEY_AGE_DAYS_RANGE.min, MAX_KEY_AGE_DAYS_RANGE.max),
  };
}

/**
 * The configuration as typed values, one per KEYGATE_* variable (the construct's settings), each
 * read as that variable would be: absent is the default, and the bounds are `readConfig`'s.
 */
export interface ConfigSettings {
  readonly secretPrefix?: string | undefined;
  readonly clockSkewSeconds?: number | undefined;
  readonly maxTokenLifetimeSeconds?: number | undefined;
  readonly keyCacheSeconds?: number | undefined;
  readonly unknownKeyCacheSeconds?: number | undefined;
  readonly staleIfErrorSeconds?: number | undefined;
  readonly minKeyBits?: number | undefined;
  readonly maxKeyBits?: number | undefined;
  readonly recoveryWindowDays?: number | undefined;
  readonly defaultBinding?: string | undefined;
  readonly replayTable?: string | undefined;
  readonly revocationSecret?: string | undefined;
  readonly revocationCacheSeconds?: number | undefined;
  readonly authorizerCacheSeconds?: number | undefined;
  readonly maxKeyAgeDays?: number | undefined;
}

/**
 * Each KEYGATE_* variable: the setting it is given as, and how it is written from a config;
 * `readConfig` reads it back (both directions round-trip tested).
 */
const CONFIG_VARIABLES = {
  KEYGATE_SECRET_PREFIX: { setting: 'secretPrefix', write: (c) => c.secretPrefix },
  KEYGATE_CLOCK_SKEW_SECONDS: { setting: 'clockSkewSeconds', write: (c) => String(c.tokenRules.clockSkewSeconds) },
  KEYGATE_MAX_TOKEN_LIFETIME_SECONDS: { setting: 'maxTokenLifetimeSeconds', write: (c) => String(c.tokenRules.maxLifetimeSeconds) },
  KEYGATE_KEY_CACHE_SECONDS: { setting: 'keyCacheSeconds', write: (c) => String(c.keyCacheSeconds) },
  KEYGATE_UNKNOWN_KEY_CACHE_SECONDS: { setting: 'unknownKeyCacheSeconds', write: (c) => String(c.unknownKeyCacheSeconds) },
  KEYGATE_STALE_IF_ERROR_SECONDS: { setting: 'staleIfErrorSeconds', write: (c) => String(c.staleIfErrorSeconds) },
  KEYGATE_MIN_KEY_BITS: { setting: 'minKeyBits', write: (c) => String(c.keySizeLimits.minBits) },
  KEYGATE_MAX_KEY_BITS: { setting: 'maxKeyBits', write: (c) => String(c.keySizeLimits.maxBits) },
  KEYGATE_RECOVERY_WINDOW_DAYS: { setting: 'recoveryWindowDays', write: (c) => String(c.recoveryWindowDays) },
  KEYGATE_DEFAULT_BINDING: { setting: 'defaultBinding', write: (c) => c.defaultBinding },
  KEYGATE_REPLAY_TABLE: { setting: 'replayTable', write: (c) => c.replayTable },
  KEYGATE_REVOCATION_SECRET: { setting: 'revocationSecret', write: (c) => c.revocationSecret },
  KEYGATE_REVOCATION_CACHE_SECONDS: { setting: 'revocationCacheSeconds', write: (c) => String(c.revocationCacheSeconds) },
  // Written only when on: requestAuthorizer sets it from the authorizer's own cache TTL.
  KEYGATE_AUTHORIZER_CACHE_SECONDS: { setting: 'authorizerCacheSeconds', write: (c) => (c.authorizerCacheSeconds > 0 ? String(c.authorizerCacheSeconds) : undefined) },
  KEYGATE_MAX_KEY_AGE_DAYS: { setting: 'maxKeyAgeDays', write: (c) => (c.maxKeyAgeDays === undefined ? undefined : String(c.maxKeyAgeDays)) },
} as const satisfies Record<string, { readonly setting: keyof ConfigSettings; readonly write: (config: KeygateConfig) => string | undefined }>;

export type ConfigVariable = keyof typeof CONFIG_VARIABLES;

/** The settings the variables are given as: equal to `keyof ConfigSettings` (a type test in config.test.ts holds both directions). */
export type ConfigSetting = (typeof CONFIG_VARIABLES)[ConfigVariable]['setting'];

export const CONFIG_VARIABLE_NAMES = Object.keys(CONFIG_VARIABLES) as readonly ConfigVariable[];

/**
 * The environment `readConfig` reads `config` back from: the variables named (all by default), in
 * that order, leaving out the ones the config has no value for (no replay table, no revocation list).
 */
export function configEnvironment(config: KeygateConfig, variables: readonly ConfigVariable[] = CONFIG_VARIABLE_NAMES): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const variable of variables) {
    const value = CONFIG_VARIABLES[variable].write(config);
    if (value !== undefined) environment[variable] = value;
  }
  return environment;
}

/**
 * The config from typed settings, through the same variables and validation as `readConfig`: a bad
 * value is refused naming its variable, as it would be at a cold start.
 */
export function configFromSettings(settings: ConfigSettings): KeygateConfig {
  const environment: Record<string, string | undefined> = {};
  for (const variable of CONFIG_VARIABLE_NAMES) {
    const value = settings[CONFIG_VARIABLES[variable].setting];
    environment[variable] = value === undefined ? undefined : String(value);
  }
  return readConfig(environment);
}
