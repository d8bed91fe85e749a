import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KeyMaterialError, parsePublicKeyInput } from '../../../lambdas/core/key-material.js';
import { verifyRs512Signature } from '../../../lambdas/core/token-checks.js';

interface WycheproofGroup {
  keySize: number;
  publicKeyPem: string;
  publicKey: { publicExponent: string };
  tests: { tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid' | 'acceptable' }[];
}

// Vendored with their licence notice: see test/fixtures/wycheproof/README.md.
const DATA_DIR = fileURLToPath(new URL('../../fixtures/wycheproof/', import.meta.url));

function load(bits: number): WycheproofGroup[] {
  return (JSON.parse(readFileSync(`${DATA_DIR}rsa_signature_${bits}_sha512_test.json`, 'utf8')) as { testGroups: WycheproofGroup[] }).testGroups;
}

describe.each([2048, 3072, 4096, 8192])('Project Wycheproof RSASSA-PKCS1-v1_5 SHA-512, %i bits', (bits) => {
  const groups = load(bits);

  it('accepts every valid signature and refuses every invalid one', () => {
    let valid = 0;
    let invalid = 0;
    for (const group of groups) {
      const key = createPublicKey(group.publicKeyPem);
      const verificationKey = { kid: 'wycheproof', key, modulusBytes: Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8) };
      for (const test of group.tests) {
        const accepted = verifyRs512Signature(verificationKey, Buffer.from(test.msg, 'hex'), Buffer.from(test.sig, 'hex'));
        if (test.result === 'valid') {
          expect(accepted, `tcId ${test.tcId} (${test.comment}) must verify`).toBe(true);
          valid++;
        } else if (test.result === 'invalid') {
          expect(accepted, `tcId ${test.tcId} (${test.comment}) must be refused`).toBe(false);
          invalid++;
        }
      }
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(100);
  });

  it('refuses at registration every key whose public exponent is not 65537', async () => {
    const odd = groups.filter((g) => g.publicKey.publicExponent !== '010001');
    for (const group of odd) {
      await expect(parsePublicKeyInput(group.publicKeyPem, { limits: { minBits: 2048, maxBits: 8192 } })).rejects.toSatisfy(
        (error) => error instanceof KeyMaterialError && error.code === 'unsupported_exponent',
      );
    }
    const standard = groups.filter((g) => g.publicKey.publicExponent === '010001');
    for (const group of standard) {
      await expect(parsePublicKeyInput(group.publicKeyPem, { limits: { minBits: 2048, maxBits: 8192 } })).resolves.toMatchObject({ bits });
    }
  });
});
