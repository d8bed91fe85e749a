import { canonicalDistinguishedName, normalizeSerialNumber } from '../core/revocation.js';
import type { RevocationStore } from '../revocation/revocation-store.js';
import { HttpError, jsonResponse } from './http.js';
import { callerArn, parseJsonBody, revokeCertificateBody } from './request.js';
import type { RouteTable } from './routes.js';

/**
 * The /revocations routes: the client certificates support staff revoked (API Gateway does not
 * check revocation; the authorizer does). Without a revocation list they answer 404.
 */
export function certificateRevocationRoutes(revocationStore: RevocationStore | undefined, now: () => Date): RouteTable {
  function requireRevocationStore(): RevocationStore {
    if (!revocationStore) throw new HttpError(404, 'revocation_disabled', 'client-certificate revocation is not enabled on this deployment');
    return revocationStore;
  }

  return {
    '/revocations': {
      GET: async () => {
        const entries = await requireRevocationStore().list();
        return { response: jsonResponse(200, { items: entries }) };
      },
      POST: async (event) => {
        const caller = callerArn(event);
        const body = parseJsonBody(event, revokeCertificateBody);
        const serialNumber = normalizeSerialNumber(body.serialNumber);
        if (!serialNumber) throw new HttpError(400, 'invalid_serial_number', 'serialNumber is hex, e.g. 0a:1b:2c or 0A1B2C');
        const issuer = canonicalDistinguishedName(body.issuer);
        if (!issuer) throw new HttpError(400, 'invalid_issuer', 'issuer is a distinguished name, e.g. "CN=Example CA,O=Example" or "/O=Example/CN=Example CA"');
        const entry = { issuer, serialNumber, revokedAt: now().toISOString(), revokedBy: caller, reason: body.reason };
        const { outcome } = await requireRevocationStore().add(entry);
        return {
          response: jsonResponse(outcome === 'added' ? 201 : 200, { outcome, issuer: entry.issuer, serialNumber }),
          audit: { action: 'revoke_certificate', certificate: { issuer: entry.issuer, serialNumber } },
        };
      },
    },
  };
}
