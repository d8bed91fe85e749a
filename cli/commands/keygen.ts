import { join } from 'node:path';
import type { Command } from 'commander';
import { rsaJwkThumbprint } from '../../lambdas/core/key-material.js';
import { ensureDirectory, refuseOverwrite, writeFileAtomic } from '../files.js';
import { keyName, rsaBits } from '../options.js';
import { generateKeys } from '../pki/x509.js';
import { withProgress } from '../progress.js';

interface KeygenOptions {
  readonly out: string;
  readonly bits: number;
  readonly name?: string;
  readonly force?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('generate an RSA key pair for signing tokens: private.pem (PKCS#8, mode 0600) and public.pem (SPKI)')
    .requiredOption('--out <dir>', 'directory for private.pem and public.pem (created if missing)')
    .option('--bits <bits>', 'RSA key size: 2048, 3072 or 4096', rsaBits, 4096)
    .option('--name <name>', 'the key name you will register, used in the printed next steps', keyName)
    .option('--force', 'replace existing private.pem and public.pem')
    .action(keygen);
}

async function keygen(options: KeygenOptions): Promise<void> {
  const privatePath = join(options.out, 'private.pem');
  const publicPath = join(options.out, 'public.pem');
  await ensureDirectory(options.out);
  await refuseOverwrite([privatePath, publicPath], options.force === true);

  const keys = await withProgress(`generating a ${options.bits}-bit RSA key`, () => generateKeys({ kind: 'rsa', bits: options.bits }));
  const { n, e } = keys.publicKey.export({ format: 'jwk' });
  const kid = rsaJwkThumbprint({ n: n ?? '', e: e ?? '' });

  await writeFileAtomic(privatePath, keys.privateKeyPem, 0o600);
  await writeFileAtomic(publicPath, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o644);

  const name = options.name ?? '<NAME>';
  process.stdout.write(
    [
      `private key: ${privatePath} (mode 0600; keep it secret, never send it)`,
      `public key:  ${publicPath}`,
      `kid:         ${kid}`,
      '',
      'next steps:',
      `  1. send ${publicPath} to your keygate administrator to register under the name ${name}`,
      `  2. mint a token:   keygate token --key ${privatePath} --name ${name} --kid ${kid}`,
      `  3. check a token:  keygate token --key ${privatePath} --name ${name} | keygate explain - --public-key ${publicPath}`,
      '',
    ].join('\n'),
  );
}
