import { bindingOf } from '../core/certificate-binding.js';
import { MAX_KEYS_PER_NAME } from '../core/limits.js';
import { KeyStoreError, type AccessChange, type AccessChangeOutcome, type AddKeyOptions, type AddKeyOutcome, type KeyRecord, type NameAccessSettings, type StoredKey } from './key-store.js';

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameAccess(a: NameAccessSettings, b: NameAccessSettings): boolean {
  return sameList(a.routes, b.routes) && sameList(a.certificatePins, b.certificatePins);
}

/** A record with exactly these access settings (absent members are left out, so stored records stay as before). */
function withAccess(record: KeyRecord, access: NameAccessSettings): KeyRecord {
  const rest: KeyRecord = { name: record.name, keys: record.keys, ...(record.binding ? { binding: record.binding } : {}) };
  return { ...rest, ...(access.routes ? { routes: access.routes } : {}), ...(access.certificatePins ? { certificatePins: access.certificatePins } : {}) };
}

/** The pure part of adding a key, shared by both adapters: idempotent by kid, at most two keys. */
export function withKeyAdded(current: KeyRecord | undefined, name: string, key: StoredKey, options: AddKeyOptions = {}): { outcome: AddKeyOutcome; record: KeyRecord } {
  const { binding } = options;
  if (!current) {
    const initial = bindingOf(binding, options.defaultBinding);
    return { outcome: 'created', record: withAccess(initial ? { name, keys: [key], binding: initial } : { name, keys: [key] }, options.access ?? {}) };
  }
  const currentBinding = bindingOf(current.binding, options.defaultBinding ?? 'none');
  if (binding !== undefined && binding !== currentBinding) {
    throw new KeyStoreError('binding_mismatch', `"${name}" has binding "${currentBinding}"; it is set when the name is created (revoke and register again to change it)`);
  }
  if (options.access !== undefined && !sameAccess(options.access, current)) {
    throw new KeyStoreError('access_mismatch', `"${name}" has other route permissions or certificate pins; change them with PUT /keys/${name}/access, or add the key without them`);
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

/** The pure part of an access change: a list replaces, null removes, undefined keeps. */
export function withAccessChanged(current: KeyRecord | undefined, name: string, change: AccessChange): { outcome: AccessChangeOutcome; record: KeyRecord } {
  if (!current) throw new KeyStoreError('unknown_key_name', `no keys are registered under "${name}"`);
  const next: NameAccessSettings = {
    routes: change.routes === undefined ? current.routes : (change.routes ?? undefined),
    certificatePins: change.certificatePins === undefined ? current.certificatePins : (change.certificatePins ?? undefined),
  };
  if (sameAccess(next, current)) return { outcome: 'unchanged', record: current };
  return { outcome: 'changed', record: withAccess(current, next) };
}
