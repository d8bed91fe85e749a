import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAuthorizerHandler } from '../../lambdas/authorizer/create-handler.js';
import type { KeygateConfig } from '../../lambdas/core/config.js';
import { FileKeyStore } from '../../lambdas/key-store/file-key-store.js';
import { createRegistrationHandler } from '../../lambdas/registration/create-handler.js';
import { MemoryReplayGuard } from '../../lambdas/replay/replay-guard.js';
import { RevocationCache } from '../../lambdas/revocation/revocation-cache.js';
import { FileRevocationStore } from '../../lambdas/revocation/revocation-store.js';
import { ensureDevPki, type DevPki } from './dev-pki.js';
import { createLocalGateway } from './local-gateway.js';

export interface LocalServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly config: KeygateConfig;
  readonly accessLog: (line: Record<string, unknown>) => void;
  /** Each token's jti accepted once (in memory), like KEYGATE_REPLAY_TABLE when deployed. */
  readonly replayProtection?: boolean;
  /** Every other path and method is a protected route (local-gateway.ts). */
  readonly anyRoute?: boolean;
}

export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly pki: DevPki;
  close(): Promise<void>;
}

/**
 * HTTPS with real mutual TLS (TLS 1.2+, a client certificate from the dev CA required at the
 * handshake) in front of the same authorizer and registration handlers that deploy to Lambda,
 * over the file key store.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const pki = await ensureDevPki(options.dataDir);
  const keyStore = new FileKeyStore(pki.paths.keyStore);
  const revocationStore = new FileRevocationStore(pki.paths.revokedCertificates);
  const revocations = new RevocationCache(revocationStore, { cacheSeconds: options.config.revocationCacheSeconds, staleIfErrorSeconds: 0 });
  const handleRequest = createLocalGateway({
    authorizer: createAuthorizerHandler({ keyStore, config: options.config, revocationStore, replayGuard: options.replayProtection ? new MemoryReplayGuard() : undefined }),
    registration: createRegistrationHandler({ keyStore, config: options.config, revocationStore }),
    supportSubject: pki.supportSubject,
    isRevoked: (issuer, serialNumber) => revocations.isRevoked(issuer, serialNumber),
    accessLog: options.accessLog,
    anyRoute: options.anyRoute,
  });
  const server: Server = createServer(
    {
      key: pki.serverKeyPem,
      cert: pki.serverCertificatePem,
      ca: pki.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (request, response) => void handleRequest(request, response),
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `https://${host}:${port}`,
    port,
    pki,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
