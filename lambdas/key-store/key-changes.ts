import { MAX_KEYS_PER_NAME } from '../core/limits.js';
import { KeyStoreError, type AddKeyOptions, type AddKeyOutcome, type KeyRecord, type StoredKey } from './key-store.js';

/** The pure part of adding a key, shared by both adapters: idempotent by kid, at most two keys. */
export function withKeyAdded(current: KeyRecord | undefined, name: string, key: StoredKey, options: AddKeyOptions = {}): { outcome: AddKeyOutcome; record: KeyRecord } {
  const { binding } = options;
  if (!current) {
    const initial = binding ?? options.defaultBinding;
    return { outcome: 'created', record: initial ? { name, keys: [key], binding: initial } : { name, keys: [key] } };
  }
  if (binding !== undefined && binding !== (current.binding ?? 'none')) {
    throw new KeyStoreError('binding_mismatch', `"${name}" has binding "${current.binding ?? 'none'}"; it is set when the name is created (revoke and register again to change it)`);
  }
  if (current.keys.some((k) => k.kid === key.kid)) return { outcome: 'already_present', record: current };
  if (current.keys.length >= MAX_KEYS_PER_NAME) {
    throw new KeyStoreError('too_many_keys', `"${name}" already has ${MAX_KEYS_PER_NAME} keys; remove one (DELETE /keys/${name}/{kid}) before adding another`);
  }
  return { outcome: 'added', record: { ...current, keys: [...current.keys, key] } };
}

/** The pure part of removing a key: the kid must exist and must not be the last one. */
export function withKeyRemoved(current: KeyRecord | undefined, name: string, kid: string): KeyRecord {
  if (!current) throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
  if (!current.keys.some((k) => k.kid === kid)) throw new KeyStoreError('unknown_kid', `"${name}" has no key with kid "${kid}"`);
  if (current.keys.length === 1) {
    throw new KeyStoreError('last_key', `"${kid}" is the last key of "${name}"; revoke the name instead (DELETE /keys/${name})`);
  }
  return { ...current, keys: current.keys.filter((k) => k.kid !== kid) };
}
