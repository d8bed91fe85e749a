import { z } from 'zod';
import { BINDING_POLICIES } from '../core/certificate-binding.js';
import { MAX_KEYS_PER_NAME } from '../core/limits.js';
import { KeyStoreIntegrityError, type KeyRecord } from './key-store.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const storedKeySchema = z
  .object({
    kid: z.string().regex(BASE64URL).max(128),
    jwk: z.object({ kty: z.literal('RSA'), n: z.string().regex(BASE64URL).max(2048), e: z.string().regex(BASE64URL).max(16) }).strict(),
    bits: z.number().int().min(512).max(16384),
    addedAt: z.string().max(64),
    addedBy: z.string().max(2048),
  })
  .strict();

const keyRecordSchema = z
  .object({
    name: z.string(),
    keys: z.array(storedKeySchema).max(MAX_KEYS_PER_NAME),
    binding: z.enum(BINDING_POLICIES).optional(),
  })
  .strict();

/** Parses a stored value; anything keygate would not have written is an integrity error, never silently used. */
export function parseStoredRecord(text: string, expectedName: string): KeyRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" is not JSON`);
  }
  const parsed = keyRecordSchema.safeParse(json);
  if (!parsed.success) throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" does not have the keygate shape`);
  if (parsed.data.name !== expectedName) throw new KeyStoreIntegrityError(`the stored value for "${expectedName}" names "${parsed.data.name}"`);
  return parsed.data;
}

export function serializeRecord(record: KeyRecord): string {
  return JSON.stringify(record.binding ? { name: record.name, keys: record.keys, binding: record.binding } : { name: record.name, keys: record.keys });
}
