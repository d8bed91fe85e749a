import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { readClientCertificate } from '../../lambdas/core/client-certificate.js';
import { CliError } from '../errors.js';
import { ensureDirectory, exists, readInputFile, writeFileAtomic } from '../files.js';
import { caPaths, createCa, loadCa, saveCa } from '../pki/ca-store.js';
import { distinguishedName, issueCertificate, type CertifiedKey } from '../pki/x509.js';
import { withProgress } from '../progress.js';

/** Where local mode keeps its files, all under the data directory (default `.keygate/`). */
export interface DevPkiPaths {
  readonly caDir: string;
  readonly caCertificate: string;
  readonly serverCertificate: string;
  readonly serverKey: string;
  readonly demoCertificate: string;
  readonly demoKey: string;
  readonly supportCertificate: string;
  readonly supportKey: string;
  readonly keyStore: string;
  readonly revokedCertificates: string;
}

export interface DevPki {
  readonly paths: DevPkiPaths;
  readonly caPem: string;
  readonly serverCertificatePem: string;
  readonly serverKeyPem: string;
  /** Subject of the certificate that stands in for IAM on /keys. */
  readonly supportSubject: string;
  readonly created: boolean;
}

export const SUPPORT_COMMON_NAME = 'support';
export const DEMO_COMMON_NAME = 'demo';
const ORGANIZATION = 'keygate local';

export function devPkiPaths(dataDir: string): DevPkiPaths {
  return {
    caDir: join(dataDir, 'ca'),
    caCertificate: caPaths(join(dataDir, 'ca')).certificate,
    serverCertificate: join(dataDir, 'server.pem'),
    serverKey: join(dataDir, 'server.key'),
    demoCertificate: join(dataDir, 'demo.pem'),
    demoKey: join(dataDir, 'demo.key'),
    supportCertificate: join(dataDir, 'support.pem'),
    supportKey: join(dataDir, 'support.key'),
    keyStore: join(dataDir, 'keys.json'),
    revokedCertificates: join(dataDir, 'revoked-certificates.json'),
  };
}

async function saveCertifiedKey(certificatePath: string, keyPath: string, certified: CertifiedKey): Promise<void> {
  await writeFileAtomic(keyPath, certified.privateKeyPem, 0o600);
  await writeFileAtomic(certificatePath, certified.certificatePem, 0o644);
}

function assertCurrentlyValid(pem: string, path: string, now: Date): void {
  const certificate = new X509Certificate(pem);
  if (now > new Date(certificate.validTo)) {
    throw new CliError(`${path} expired on ${certificate.validTo}; delete the data directory to make a new dev PKI`);
  }
}

/**
 * A dev CA, a server certificate for localhost and 127.0.0.1, and two client certificates (CN demo
 * for consumers, CN support standing in for IAM on /keys), made on first run and reused after.
 */
export async function ensureDevPki(dataDir: string, now = new Date()): Promise<DevPki> {
  const paths = devPkiPaths(dataDir);
  await ensureDirectory(dataDir);
  const files = [paths.caCertificate, paths.serverCertificate, paths.serverKey, paths.demoCertificate, paths.demoKey, paths.supportCertificate, paths.supportKey];
  const present = await Promise.all(files.map((file) => exists(file)));
  const created = !present.every(Boolean);
  if (created) {
    if (present.some(Boolean)) throw new CliError(`${dataDir} holds only part of a dev PKI; delete it to start again`);
    const ca = await withProgress('creating a dev CA (RSA 4096)', () => createCa({ commonName: 'keygate dev CA', bits: 4096, days: 825 }));
    await ensureDirectory(paths.caDir);
    await saveCa(paths.caDir, ca);
    await withProgress('issuing server and client certificates', async () => {
      const issue = (profile: 'server' | 'client', commonName: string) =>
        issueCertificate({
          issuer: ca,
          profile,
          subject: distinguishedName(commonName, ORGANIZATION),
          days: 365,
          ...(profile === 'server' ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] } : {}),
        });
      const [server, demo, support] = await Promise.all([issue('server', 'localhost'), issue('client', DEMO_COMMON_NAME), issue('client', SUPPORT_COMMON_NAME)]);
      await saveCertifiedKey(paths.serverCertificate, paths.serverKey, server);
      await saveCertifiedKey(paths.demoCertificate, paths.demoKey, demo);
      await saveCertifiedKey(paths.supportCertificate, paths.supportKey, support);
    });
  }
  await loadCa(paths.caDir, now);
  const [caPem, serverCertificatePem, serverKeyPem, supportPem] = await Promise.all([
    readInputFile(paths.caCertificate, 'dev CA certificate'),
    readInputFile(paths.serverCertificate, 'server certificate'),
    readInputFile(paths.serverKey, 'server key'),
    readInputFile(paths.supportCertificate, 'support certificate'),
  ]);
  assertCurrentlyValid(serverCertificatePem, paths.serverCertificate, now);
  return { paths, caPem, serverCertificatePem, serverKeyPem, supportSubject: readClientCertificate(supportPem).subject, created };
}
