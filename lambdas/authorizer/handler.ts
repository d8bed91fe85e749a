import { readConfig } from '../core/config.js';
import { SecretsManagerKeyStore } from '../key-store/secrets-manager-key-store.js';
import { DynamoDbReplayGuard } from '../replay/replay-guard.js';
import { SecretsManagerRevocationStore } from '../revocation/revocation-store.js';
import { createAuthorizerHandler } from './create-handler.js';

// Read once at cold start: a bad value stops the function with a message naming the variable.
const config = readConfig(process.env);

export const handler = createAuthorizerHandler({
  config,
  keyStore: new SecretsManagerKeyStore({ prefix: config.secretPrefix }),
  replayGuard: config.replayTable ? new DynamoDbReplayGuard(config.replayTable) : undefined,
  revocationStore: config.revocationSecret ? new SecretsManagerRevocationStore(config.revocationSecret) : undefined,
});
