import { describe, expect, it } from 'vitest';
import { authorizeTokenSync } from '../../../lambdas/core/authorization.js';
import type { BindingPolicy } from '../../../lambdas/core/certificate-binding.js';
import type { ClientCertificateFacts } from '../../../lambdas/core/client-certificate.js';
import { DEFAULT_TOKEN_RULES } from '../../../lambdas/core/token-rules.js';
import { withKeyAdded } from '../../../lambdas/key-store/key-changes.js';
import { mintToken, rsaKeyPair, verificationKey } from '../../helpers/keys.js';
import { storedKey } from '../../helpers/stored-keys.js';

const NOW = 1_790_000_000;
const key = storedKey('a');

describe('the default binding: recorded when a name is created, followed at read by a record without one', () => {
  it('a name created without a binding records the default and keeps it; one asked for wins', () => {
    expect(withKeyAdded(undefined, 'acme', key, { defaultBinding: 'subject' }).record.binding).toBe('subject');
    expect(withKeyAdded(undefined, 'acme', key, { binding: 'thumbprint', defaultBinding: 'subject' }).record.binding).toBe('thumbprint');
    const created = withKeyAdded(undefined, 'acme', key, { defaultBinding: 'subject' }).record;
    expect(withKeyAdded(created, 'acme', storedKey('b'), { defaultBinding: 'none' }).record.binding).toBe('subject');
  });

  it('a record without a binding is compared as the binding the authorizer enforces for it: the default', () => {
    const legacy = { name: 'acme', keys: [key] };
    expect(withKeyAdded(legacy, 'acme', storedKey('b'), { binding: 'subject', defaultBinding: 'subject' }).outcome).toBe('added');
    expect(() => withKeyAdded(legacy, 'acme', storedKey('b'), { binding: 'none', defaultBinding: 'subject' })).toThrow('"acme" has binding "subject"');
    expect(() => withKeyAdded(legacy, 'acme', storedKey('b'), { binding: 'subject' })).toThrow('"acme" has binding "none"');
  });

  it('without a default (the store contract tests), nothing is recorded', () => {
    expect(withKeyAdded(undefined, 'acme', key).record).not.toHaveProperty('binding');
  });

  it('the pipeline enforces what was recorded, whatever the current default; a record without one follows the default', async () => {
    const pair = rsaKeyPair();
    const token = await mintToken(pair, { nowSeconds: NOW });
    const otherCertificate = { commonName: 'someone-else', thumbprintSha256: 't', spkiPinSha256: 'p' } as ClientCertificateFacts;
    const decide = (binding: BindingPolicy | undefined, defaultBinding: BindingPolicy) =>
      authorizeTokenSync(token, { nowSeconds: NOW, certificate: otherCertificate }, { tokenRules: DEFAULT_TOKEN_RULES, defaultBinding }, { lookUpKeys: () => ({ keys: [verificationKey(pair)], binding }) }).decision;
    const recorded = withKeyAdded(undefined, 'acme', key, { defaultBinding: 'subject' }).record.binding;
    expect(decide(recorded, 'none')).toBe('deny');
    expect(decide(undefined, 'subject')).toBe('deny');
    expect(decide(undefined, 'none')).toBe('allow');
  });
});
