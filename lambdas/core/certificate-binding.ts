import type { ClientCertificateFacts } from './client-certificate.js';
import { deny, type Denial } from './reasons.js';
import type { JsonObject } from './strict-json.js';

/**
 * How a name's tokens are tied to the client certificate of the TLS connection:
 * - `none`: any certificate the truststore accepts;
 * - `subject`: the certificate's CN must equal the key name;
 * - `thumbprint`: the token's `cnf` claim `x5t#S256` must equal the base64url SHA-256 of the
 *   certificate's DER (RFC 8705), so a stolen token is useless without the certificate's key.
 */
export const BINDING_POLICIES = ['none', 'subject', 'thumbprint'] as const;
export type BindingPolicy = (typeof BINDING_POLICIES)[number];

export function isBindingPolicy(value: unknown): value is BindingPolicy {
  return typeof value === 'string' && (BINDING_POLICIES as readonly string[]).includes(value);
}

/**
 * A name's binding: the one it has, else the deployment's default. The one rule for both moments
 * it is needed: a name created without a binding records the default then and keeps it (key
 * changes), and a record from before bindings existed has none and follows the current default
 * (the authorization pipeline).
 */
export function bindingOf<Default extends BindingPolicy | undefined>(own: BindingPolicy | undefined, defaultBinding: Default): BindingPolicy | Default {
  return own ?? defaultBinding;
}

/** Runs after the signature has verified, so `cnf` is a claim the key holder made. */
export function checkCertificateBinding(policy: BindingPolicy, keyName: string, payload: JsonObject, certificate: ClientCertificateFacts | undefined): Denial | undefined {
  if (policy === 'none') return undefined;
  if (!certificate) return deny('client_certificate_mismatch', `binding "${policy}" needs a client certificate and the request has none`);
  if (policy === 'subject') {
    return certificate.commonName === keyName ? undefined : deny('client_certificate_mismatch', 'the client certificate CN is not the key name');
  }
  const cnf = payload['cnf'];
  const thumbprint = typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf) ? cnf['x5t#S256'] : undefined;
  if (typeof thumbprint !== 'string') return deny('client_certificate_mismatch', 'binding "thumbprint" needs a cnf claim with x5t#S256');
  return thumbprint === certificate.thumbprintSha256 ? undefined : deny('client_certificate_mismatch', 'cnf x5t#S256 is not the client certificate thumbprint');
}
