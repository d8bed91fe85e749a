import { readConfig } from '../core/config.js';
import { SecretsManagerKeyStore } from '../key-store/secrets-manager-key-store.js';
import { SecretsManagerRevocationStore } from '../revocation/revocation-store.js';
import { createRegistrationHandler } from './create-handler.js';

// Read once at cold start: a bad value stops the function with a message naming the variable.
const config = readConfig(process.env);

export const handler = createRegistrationHandler({
  config,
  keyStore: new SecretsManagerKeyStore({ prefix: config.secretPrefix }),
  revocationStore: config.revocationSecret ? new SecretsManagerRevocationStore(config.revocationSecret) : undefined,
});
