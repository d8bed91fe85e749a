import { createPublicKey } from 'node:crypto';
import { bindingOf, type BindingPolicy } from '../core/certificate-binding.js';
import type { KeygateConfig } from '../core/config.js';
import { parsePublicKeyInput } from '../core/key-material.js';
import { SUBJECT_PREFIX } from '../core/limits.js';
import type { KeyRecord, KeyStore, StoredKey } from '../key-store/key-store.js';
import { HttpError, jsonResponse } from './http.js';
import { accessSettingsOf, callerArn, changeAccessBody, keyNameParameter, kidParameter, listQuery, parseJsonBody, parseQuery, registerKeyBody } from './request.js';
import type { RouteTable } from './routes.js';

/** A name's record as the API shows it; `detailed` adds who added each key and its public key as PEM. */
function publicView(record: KeyRecord, detailed: boolean, defaultBinding: BindingPolicy) {
  return {
      name: record.name,
      subject: `${SUBJECT_PREFIX}${record.name}`,
      // What the authorizer enforces: a record from before bindings existed follows the deployment's default.
      binding: bindingOf(record.binding, defaultBinding),
      // Shown only when set: absent means every protected route, any certificate of the truststore.
      ...(record.routes ? { routes: record.routes } : {}),
      ...(record.certificatePins ? { certificatePins: record.certificatePins } : {}),
      keys: record.keys.map((key) =>
        detailed
          ? { kid: key.kid, bits: key.bits, addedAt: key.addedAt, addedBy: key.addedBy, publicKeyPem: createPublicKey({ key: { ...key.jwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString() }
          : { kid: key.kid, bits: key.bits, addedAt: key.addedAt },
      ),
  };
}

/** The /keys routes: register, list, read, remove and restore named keys. */
export function keyRoutes(keyStore: KeyStore, config: KeygateConfig, now: () => Date): RouteTable {
  const view = (record: KeyRecord, detailed = false) => publicView(record, detailed, config.defaultBinding);
  return {
    '/keys': {
      GET: async (event) => {
        const query = parseQuery(event, listQuery);
        const page = await keyStore.listNames({ limit: query.limit, nextToken: query.nextToken });
        return { response: jsonResponse(200, { items: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) }) };
      },
    },
    '/keys/{name}': {
      PUT: async (event) => {
        const name = keyNameParameter(event);
        const caller = callerArn(event);
        const body = parseJsonBody(event, registerKeyBody);
        const requested = accessSettingsOf(body);
        const parsed = await parsePublicKeyInput(body.publicKey, { limits: config.keySizeLimits, now: now() });
        const key: StoredKey = { kid: parsed.kid, jwk: parsed.jwk, bits: parsed.bits, addedAt: now().toISOString(), addedBy: caller };
        // Access settings sent with a key are compared as a whole with the name's; none sent: no check.
        const access = requested.routes || requested.certificatePins ? requested : undefined;
        const { outcome, record } = await keyStore.addKey(name, key, { binding: body.binding, defaultBinding: config.defaultBinding, access });
        const status = outcome === 'created' ? 201 : 200;
        return {
          response: jsonResponse(status, { ...view(record), outcome, kid: parsed.kid }, outcome === 'created' ? { location: `/keys/${name}` } : {}),
          audit: { action: 'add_key', keyName: name, kid: parsed.kid },
        };
      },
      GET: async (event) => {
        const name = keyNameParameter(event);
        const record = await keyStore.getKeys(name);
        if (!record) throw new HttpError(404, 'unknown_key_name', `no keys are registered under "${name}"`);
        return { response: jsonResponse(200, view(record, true)) };
      },
      DELETE: async (event) => {
        const name = keyNameParameter(event);
        callerArn(event);
        const revoked = await keyStore.revoke(name, config.recoveryWindowDays);
        return {
          response: jsonResponse(200, { name, revoked: true, restoreBefore: revoked.deletionDate }),
          audit: { action: 'revoke_name', keyName: name },
        };
      },
    },
    '/keys/{name}/access': {
      PUT: async (event) => {
        const name = keyNameParameter(event);
        callerArn(event);
        const body = parseJsonBody(event, changeAccessBody);
        if (body.routes === undefined && body.certificatePins === undefined) {
          throw new HttpError(400, 'invalid_request', 'body: send "routes", "certificatePins" or both (a list replaces, null removes)');
        }
        const { outcome, record } = await keyStore.changeAccess(name, accessSettingsOf(body));
        return { response: jsonResponse(200, { ...view(record), outcome }), audit: { action: 'change_access', keyName: name, changed: outcome === 'changed' } };
      },
    },
    '/keys/{name}/{kid}': {
      DELETE: async (event) => {
        const name = keyNameParameter(event);
        const kid = kidParameter(event);
        callerArn(event);
        const record = await keyStore.removeKey(name, kid);
        return { response: jsonResponse(200, view(record)), audit: { action: 'remove_key', keyName: name, kid } };
      },
    },
    '/keys/{name}/restore': {
      POST: async (event) => {
        const name = keyNameParameter(event);
        callerArn(event);
        const { outcome, record } = await keyStore.restore(name);
        return { response: jsonResponse(200, { ...view(record), outcome }), audit: { action: 'restore_name', keyName: name, changed: outcome === 'restored' } };
      },
    },
  };
}
