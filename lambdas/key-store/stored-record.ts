import { BINDING_POLICIES } from '../core/certificate-binding.js';
import { storedJwkProblem } from '../core/key-material.js';
import { MAX_KEYS_PER_NAME } from '../core/limits.js';
import { parseCertificatePins, parseRoutes } from '../core/name-access.js';
import { isBoundedString, isIntegerIn, isStrictObject } from '../core/shape.js';
import { KeyStoreIntegrityError, type KeyRecord, type StoredKey } from './key-store.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function isStoredKey(value: unknown): value is StoredKey {
  if (!isStrictObject(value, ['kid', 'jwk', 'bits', 'addedAt', 'addedBy'])) return false;
  const { jwk } = value;
  return (
    isBoundedString(value['kid'], 128, BASE64URL) &&
    storedJwkProblem(jwk) === undefined &&
    isIntegerIn(value['bits'], 512, 16384) &&
    isBoundedString(value['addedAt'], 64) &&
    isBoundedString(value['addedBy'], 2048)
  );
}

/** A stored list must be what the API would have stored: valid, and already canonical. */
function isCanonicalList(value: unknown, parse: (values: readonly string[]) => { ok: boolean; value?: string[] }): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return false;
  const parsed = parse(value as string[]);
  return parsed.ok && parsed.value?.join('\n') === value.join('\n');
}

function isKeyRecord(value: unknown): value is KeyRecord {
  if (!isStrictObject(value, ['name', 'keys', 'binding', 'routes', 'certificatePins'])) return false;
  const { keys, binding } = value;
  return (
    typeof value['name'] === 'string' &&
    Array.isArray(keys) &&
    keys.length <= MAX_KEYS_PER_NAME &&
    keys.every(isStoredKey) &&
    (binding === undefined || (BINDING_POLICIES as readonly unknown[]).includes(binding)) &&
    isCanonicalList(value['routes'], parseRoutes) &&
    isCanonicalList(value['certificatePins'], parseCertificatePins)
  );
}

/** Parses a stored value; anything keygate would not have written is an integrity error, never silently used. */
export function parseStoredRecord(text: string, expectedName: string): KeyRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" is not JSON`);
  }
  if (!isKeyRecord(json)) throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" does not have the keygate shape`);
  if (json.name !== expectedName) throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" names "${json.name.slice(0, 64)}"`);
  return json;
}

export function serializeRecord(record: KeyRecord): string {
  return JSON.stringify({
    name: record.name,
    keys: record.keys,
    ...(record.binding ? { binding: record.binding } : {}),
    ...(record.routes ? { routes: record.routes } : {}),
    ...(record.certificatePins ? { certificatePins: record.certificatePins } : {}),
  });
}
