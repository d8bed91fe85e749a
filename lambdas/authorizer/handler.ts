import { readConfig } from '../core/config.js';
import { SecretsManagerKeyStore } from '../key-store/secrets-manager-key-store.js';
import { createAuthorizerHandler } from './create-handler.js';

// Read once at cold start: a bad value stops the function with a message naming the variable.
const config = readConfig(process.env);

// The optional layers are loaded only when configured, so a deployment without them does not pay
// for evaluating the DynamoDB client at cold start.
const replayGuard = config.replayTable ? new (await import('../replay/replay-guard.js')).DynamoDbReplayGuard(config.replayTable) : undefined;
const revocationStore = config.revocationSecret ? new (await import('../revocation/revocation-store.js')).SecretsManagerRevocationStore(config.revocationSecret) : undefined;

export const handler = createAuthorizerHandler({
  config,
  keyStore: new SecretsManagerKeyStore({ prefix: config.secretPrefix }),
  replayGuard,
  revocationStore,
});
