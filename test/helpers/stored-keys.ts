import type { StoredKey } from '../../lambdas/key-store/key-store.js';
import { rsaKeyPair } from './keys.js';

/** A StoredKey for a run-time generated key pair (label selects a distinct key). */
export function storedKey(label: string, bits = 2048, addedBy = 'arn:aws:iam::123456789012:user/tester'): StoredKey {
  const pair = rsaKeyPair(bits, label);
  return { kid: pair.kid, jwk: pair.jwk, bits, addedAt: new Date().toISOString(), addedBy };
}
