/**
 * The authorizer's metric names that the monitoring construct alarms on and graphs, written once
 * so a rename cannot leave an alarm watching a metric nobody emits.
 */

/** Faults of each dependency, counted apart from denials (and from each other). */
export const FAULT_METRICS = { 'key store': 'KeyStoreFault', 'key index': 'KeyIndexFault', 'replay table': 'ReplayTableFault', 'revocation list': 'RevocationListFault' } as const;

/** A stored key failed the key-material checks and is not used. */
export const KEY_STORE_INTEGRITY_METRIC = 'KeyStoreIntegrityError';

/** No name index yet: names are read within the unknown-name budget. */
export const KEY_INDEX_MISSING_METRIC = 'KeyIndexMissing';

/** Where each key look-up was answered from: a KeyCacheMiss is a Secrets Manager read. */
export const LOOKUP_METRICS = { cache: 'KeyCacheHit', store: 'KeyCacheMiss', stale: 'KeyCacheStale', 'over-budget': 'UnknownNameBudgetExceeded', index: 'NameNotRegistered' } as const;

/** Age in days of the key that verified an allowed token (one value per invocation document). */
export const KEY_AGE_DAYS_METRIC = 'KeyAgeDays';
