import type { BindingPolicy } from '../core/certificate-binding.js';
import type { RsaPublicJwk } from '../core/key-material.js';
import type { NameIndexData } from './name-index.js';

/** One registered public key, as stored (DESIGN.md, "Key store"). */
export interface StoredKey {
  readonly kid: string;
  readonly jwk: RsaPublicJwk;
  readonly bits: number;
  readonly addedAt: string;
  readonly addedBy: string;
}

/** A name and its active keys (at most MAX_KEYS_PER_NAME). */
export interface KeyRecord {
  readonly name: string;
  readonly keys: readonly StoredKey[];
  /** How the name's tokens are tied to the client certificate; set when the name is created. */
  readonly binding?: BindingPolicy | undefined;
  /** Route patterns the name may call (name-access.ts), canonical; absent: every protected route. */
  readonly routes?: readonly string[] | undefined;
  /** SPKI pins of the client certificates the name may use, canonical; absent: no pinning. */
  readonly certificatePins?: readonly string[] | undefined;
}

/** A name's access settings as one value (compared as a whole when a key is added). */
export type NameAccessSettings = Pick<KeyRecord, 'routes' | 'certificatePins'>;

/** A change of access settings: a list replaces, null removes, undefined keeps. */
export interface AccessChange {
  readonly routes?: readonly string[] | null | undefined;
  readonly certificatePins?: readonly string[] | null | undefined;
}

export type AccessChangeOutcome = 'changed' | 'unchanged';

export type AddKeyOutcome = 'created' | 'added' | 'already_present';

export interface KeyNameSummary {
  readonly name: string;
  readonly kids: readonly string[];
  /** Each key's kid, size and registration time (what `keygate keys list --older-than` filters on). */
  readonly keys: readonly Pick<StoredKey, 'kid' | 'bits' | 'addedAt'>[];
}

/** A name's line in a listing, the same from every store. */
export function nameSummary(name: string, keys: readonly StoredKey[]): KeyNameSummary {
  return { name, kids: keys.map((key) => key.kid), keys: keys.map(({ kid, bits, addedAt }) => ({ kid, bits, addedAt })) };
}

export interface KeyNamePage {
  readonly items: readonly KeyNameSummary[];
  readonly nextToken: string | undefined;
}

export type RestoreOutcome = 'restored' | 'already_active';

export interface RevokeResult {
  readonly name: string;
  readonly deletionDate: string;
}

/** How a key is added (key-changes.ts applies it). */
export interface AddKeyOptions {
  /** The binding the caller asks for: it must match the name's when the name exists. */
  readonly binding?: BindingPolicy | undefined;
  /** The binding a new name gets when the caller asks for none. */
  readonly defaultBinding?: BindingPolicy | undefined;
  /** Access settings the caller asks for (canonical): a new name gets them, an existing name must have them. */
  readonly access?: NameAccessSettings | undefined;
}

/**
 * The key store port. Adapters: Secrets Manager (deployed) and a JSON file (local mode). One shared
 * contract test suite runs against both.
 */
export interface KeyStore {
  /** The name's active keys; undefined when the name is unknown, revoked or deleted. Faults throw KeyStoreUnavailableError. */
  getKeys(name: string): Promise<KeyRecord | undefined>;
  /**
   * Adds a key; idempotent by kid. A third key is refused (too_many_keys); a revoked name is refused
   * (name_revoked); a binding other than the name's is refused (binding_mismatch).
   */
  addKey(name: string, key: StoredKey, options?: AddKeyOptions): Promise<{ outcome: AddKeyOutcome; record: KeyRecord }>;
  /**
   * Replaces the name's route permissions and/or certificate pins, with the same compare-and-set
   * as key changes; unknown_key_name, name_revoked as removeKey and revoke.
   */
  changeAccess(name: string, change: AccessChange): Promise<{ outcome: AccessChangeOutcome; record: KeyRecord }>;
  /** Removes one key; the last key cannot be removed this way (last_key). */
  removeKey(name: string, kid: string): Promise<KeyRecord>;
  /** Names with their kids, in name order, `limit` at a time. */
  listNames(options: { readonly limit: number; readonly nextToken?: string | undefined }): Promise<KeyNamePage>;
  /** Revokes a name: its keys stop working at once; it can be restored for `recoveryWindowDays`. */
  revoke(name: string, recoveryWindowDays: number): Promise<RevokeResult>;
  /** Brings a revoked name back within its recovery window; an active name is answered as it is (already_active). */
  restore(name: string): Promise<{ outcome: RestoreOutcome; record: KeyRecord }>;
  /**
   * The name index (name-index.ts), kept by the writes above; undefined when there is none yet (a
   * deployment from before it: the next write builds it). Faults throw KeyStoreUnavailableError, a
   * value keygate would not have written KeyStoreIntegrityError.
   */
  readNameIndex(): Promise<NameIndexData | undefined>;
}

export type KeyStoreErrorCode = 'unknown_key_name' | 'unknown_kid' | 'last_key' | 'too_many_keys' | 'name_revoked' | 'conflict' | 'invalid_next_token' | 'binding_mismatch' | 'access_mismatch';

/** A refusal the caller can act on (maps to a 4xx). */
export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  constructor(
    readonly code: KeyStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The store could not be reached or answered with a fault (throttling, timeout, 5xx): never a denial. */
export class KeyStoreUnavailableError extends Error {
  override readonly name: string = 'KeyStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A stored value that does not have the shape keygate writes: the store is not trusted blindly. */
export class KeyStoreIntegrityError extends Error {
  override readonly name = 'KeyStoreIntegrityError';
}
