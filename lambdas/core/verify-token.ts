import { authorizeTokenSync } from './authorization.js';
import type { Denial } from './reasons.js';
import type { VerificationKey, VerifiedToken } from './token-checks.js';
import type { TokenRules } from './token-rules.js';

/**
 * The token alone against keys the caller already holds (tests, benchmarks, `keygate token`): the
 * authorization pipeline without a certificate, revocation list or replay table.
 */
export function verifyToken(
  token: string,
  options: { readonly nowSeconds: number; readonly rules: TokenRules; readonly keysFor: (keyName: string) => readonly VerificationKey[] | undefined },
): VerifiedToken | Denial {
  const outcome = authorizeTokenSync(
    token,
    { nowSeconds: options.nowSeconds, certificate: undefined },
    { tokenRules: options.rules, defaultBinding: 'none' },
    { lookUpKeys: (keyName) => ({ keys: options.keysFor(keyName), binding: undefined }) },
  );
  return outcome.decision === 'allow' ? outcome.token : outcome.denial;
}
