import { z } from 'zod';
import { CliError } from './errors.js';

/** The most pages `keygate keys list --older-than` reads: 100 names a page, so 100,000 names. */
export const MAX_LISTING_PAGES = 1000;

/** What is read of a `GET /keys` page; a deployment from before keys carried addedAt there fails it. */
const pageSchema = z.object({
  items: z.array(z.object({ name: z.string().max(64), keys: z.array(z.object({ kid: z.string().max(128), bits: z.number().int(), addedAt: z.string().max(64) })).max(2) })).max(100),
  nextToken: z.string().max(4096).optional(),
});

type ListedKey = z.infer<typeof pageSchema>['items'][number]['keys'][number];

export interface OldKeysListing {
  /** Keys registered before this time are listed. */
  readonly addedBefore: string;
  readonly namesChecked: number;
  /** Each name with a key older than asked, with only those keys. */
  readonly items: readonly { readonly name: string; readonly keys: readonly ListedKey[] }[];
  /** Set when MAX_LISTING_PAGES were read and more remain: pass it as --next-token to go on. */
  readonly nextToken?: string;
}

/**
 * Walks every page of `GET /keys` from `nextToken` and keeps the names with a key registered more
 * than `olderThanSeconds` before `now`. A key whose addedAt is not a date is listed: it cannot be shown to be young.
 */
export async function listOldKeys(
  readPage: (nextToken: string | undefined) => Promise<unknown>,
  olderThanSeconds: number,
  now: Date,
  nextToken?: string,
): Promise<OldKeysListing> {
  const cutoff = now.getTime() - olderThanSeconds * 1000;
  const items: { name: string; keys: ListedKey[] }[] = [];
  let namesChecked = 0;
  let token = nextToken;
  for (let pages = 0; pages < MAX_LISTING_PAGES; pages++) {
    const parsed = pageSchema.safeParse(await readPage(token));
    if (!parsed.success) throw new CliError('the API listed names without their keys (kid, bits, addedAt): the deployment predates key age; update it, or list without --older-than');
    const page = parsed.data;
    namesChecked += page.items.length;
    for (const item of page.items) {
      const old = item.keys.filter((key) => !(Date.parse(key.addedAt) >= cutoff));
      if (old.length > 0) items.push({ name: item.name, keys: old });
    }
    token = page.nextToken;
    if (token === undefined) break;
  }
  return { addedBefore: new Date(cutoff).toISOString(), namesChecked, items, ...(token === undefined ? {} : { nextToken: token }) };
}
