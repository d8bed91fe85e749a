import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { BINDING_POLICIES, isBindingPolicy, type BindingPolicy } from '../../lambdas/core/certificate-binding.js';
import { printJson as print, requiredConnection, send as sendWith, withConnectionOptions, type ConnectionFlagValues } from '../api-connection.js';
import { certificatePin, collect, pinsOf, routePattern } from '../access-options.js';
import { usageError } from '../errors.js';
import { readInputFile } from '../files.js';
import { listOldKeys } from '../key-age-listing.js';
import { ageSeconds, integerIn, keyName } from '../options.js';

type ConnectionOptions = ConnectionFlagValues;

function send(options: ConnectionOptions, method: string, path: string, extra: { body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<unknown> {
  return sendWith(requiredConnection(options), method, path, extra);
}

function bindingPolicy(value: string): BindingPolicy {
  if (!isBindingPolicy(value)) throw new InvalidArgumentError(`expected ${BINDING_POLICIES.join(', ')}.`);
  return value;
}

const encode = encodeURIComponent;

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage named keys through the registration API (support staff)');

  withConnectionOptions(keys.command('add').description('register a public key under a name (idempotent; at most two keys per name)'))
    .argument('<name>', 'the key name', keyName)
    .requiredOption('--public-key <file>', 'the public key: PEM PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE')
    .option('--binding <policy>', "how the name's tokens are tied to the client certificate, set when the name is created: none (any trusted certificate), subject (certificate CN = name) or thumbprint (token cnf x5t#S256 = certificate SHA-256); default: the deployment's KEYGATE_DEFAULT_BINDING", bindingPolicy)
    .option('--route <pattern>', "a route the name may call, 'METHOD /path' with * for the method or a whole segment, e.g. 'GET /orders/*' (repeat for more; none: every protected route)", collect(routePattern))
    .option('--pin <pin>', "the SHA-256 SPKI pin of a client certificate the name may use (repeat for more, up to 5; none: any certificate the truststore accepts)", collect(certificatePin))
    .option('--pin-cert <file>', 'pin this client certificate (PEM): its SPKI pin is sent like --pin', collect(String))
    .action(async (name: string, options: ConnectionOptions & { publicKey: string; binding?: BindingPolicy; route?: string[]; pin?: string[]; pinCert?: string[] }) => {
      const publicKey = await readInputFile(options.publicKey, '--public-key');
      const certificatePins = await pinsOf(options.pin, options.pinCert);
      const body = {
        publicKey,
        ...(options.binding === undefined ? {} : { binding: options.binding }),
        ...(options.route === undefined ? {} : { routes: options.route }),
        ...(certificatePins === undefined ? {} : { certificatePins }),
      };
      print(await send(options, 'PUT', `/keys/${encode(name)}`, { body }));
    });

  withConnectionOptions(keys.command('access').description("change a name's route permissions and certificate pins (what is not mentioned is kept)"))
    .argument('<name>', 'the key name', keyName)
    .option('--route <pattern>', "the routes the name may call from now on, replacing its list, e.g. 'GET /orders/*' (repeat for more)", collect(routePattern))
    .option('--all-routes', 'remove the route permissions: every protected route')
    .option('--pin <pin>', "the SHA-256 SPKI pins of the certificates the name may use from now on, replacing its list (repeat for more, up to 5)", collect(certificatePin))
    .option('--pin-cert <file>', 'pin this client certificate (PEM), as --pin with its SPKI pin (repeat for more)', collect(String))
    .option('--no-pins', 'remove the pins: any certificate the truststore accepts')
    .action(async (name: string, options: ConnectionOptions & { route?: string[]; allRoutes?: boolean; pin?: string[]; pinCert?: string[]; pins: boolean }) => {
      if (options.route && options.allRoutes) throw usageError('give --route or --all-routes, not both');
      if ((options.pin || options.pinCert) && !options.pins) throw usageError('give --pin/--pin-cert or --no-pins, not both');
      const pins = await pinsOf(options.pin, options.pinCert);
      const body = {
        ...(options.route ? { routes: options.route } : options.allRoutes ? { routes: null } : {}),
        ...(pins ? { certificatePins: pins } : options.pins ? {} : { certificatePins: null }),
      };
      if (Object.keys(body).length === 0) throw usageError('nothing to change: give --route, --all-routes, --pin, --pin-cert or --no-pins');
      print(await send(options, 'PUT', `/keys/${encode(name)}/access`, { body }));
      noteKeyCache('the previous routes and pins');
    });

  withConnectionOptions(keys.command('list').description('list names with their keys (kid, bits, addedAt)'))
    .option('--limit <n>', 'names per page, 1-100', integerIn(1, 100), 50)
    .option('--next-token <token>', 'continue from a previous page')
    .option('--older-than <age>', 'only names with a key registered longer ago than this, such as 365d or 12h; reads every page', ageSeconds)
    .action(async (options: ConnectionOptions & { limit: number; nextToken?: string; olderThan?: number }) => {
      const page = (nextToken: string | undefined) => send(options, 'GET', '/keys', { query: { limit: String(options.limit), nextToken } });
      if (options.olderThan === undefined) return print(await page(options.nextToken));
      const listing = await listOldKeys(page, options.olderThan, new Date(), options.nextToken);
      process.stderr.write(`keygate: ${listing.items.length} of ${listing.namesChecked} names have a key added before ${listing.addedBefore}\n`);
      print(listing);
    });

  withConnectionOptions(keys.command('show').description("show a name's keys with their public PEMs"))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => print(await send(options, 'GET', `/keys/${encode(name)}`)));

  withConnectionOptions(keys.command('remove').description('remove one key of a name (the end of a rotation); the last key cannot be removed'))
    .argument('<name>', 'the key name', keyName)
    .argument('<kid>', "the kid of the key to remove (one that starts with '-' goes after '--')")
    .action(async (name: string, kid: string, options: ConnectionOptions) => {
      print(await send(options, 'DELETE', `/keys/${encode(name)}/${encode(kid)}`));
      noteKeyCache('the removed key');
    });

  withConnectionOptions(keys.command('revoke').description('revoke a name: its keys stop working; restorable during the recovery window'))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => {
      print(await send(options, 'DELETE', `/keys/${encode(name)}`));
      noteKeyCache("the name's keys");
    });

  withConnectionOptions(keys.command('restore').description('bring a revoked name back within its recovery window'))
    .argument('<name>', 'the key name', keyName)
    .action(async (name: string, options: ConnectionOptions) => print(await send(options, 'POST', `/keys/${encode(name)}/restore`)));
}

function noteKeyCache(what: string): void {
  process.stderr.write(`keygate: warm authorizers accept ${what} until their cached copy expires: KEYGATE_KEY_CACHE_SECONDS, 60 s by default\n`);
}
