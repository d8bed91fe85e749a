import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/errors.js';
import { listOldKeys, MAX_LISTING_PAGES } from '../../../cli/key-age-listing.js';
import { ageSeconds } from '../../../cli/options.js';

const NOW = new Date('2026-12-05T00:00:00.000Z');
const key = (kid: string, addedAt: string) => ({ kid, bits: 2048, addedAt });

describe('ageSeconds (--older-than)', () => {
  it('reads whole days and hours', () => {
    expect(ageSeconds('365d')).toBe(365 * 86_400);
    expect(ageSeconds('12h')).toBe(12 * 3600);
    expect(ageSeconds('1h')).toBe(3600);
    expect(ageSeconds('3650d')).toBe(3650 * 86_400);
  });

  it.each(['365', '0h', '0d', '3651d', '1.5d', '2w', 'd', '-1d', ' 1d', '1D'])('refuses %j', (value) => {
    expect(() => ageSeconds(value)).toThrow(InvalidArgumentError);
    expect(() => ageSeconds(value)).toThrow(/such as 365d or 12h, from 1h to 3650d/);
  });
});

describe('listOldKeys', () => {
  it('walks every page and keeps only names with an older key, with only those keys', async () => {
    const pages: Record<string, unknown> = {
      start: {
        items: [
          { name: 'rotating', kids: ['a', 'b'], keys: [key('a', '2025-01-01T00:00:00.000Z'), key('b', '2026-12-01T00:00:00.000Z')] },
          { name: 'fresh', kids: ['c'], keys: [key('c', '2026-11-30T00:00:00.000Z')] },
        ],
        nextToken: 'p2',
      },
      p2: { items: [{ name: 'old', kids: ['d'], keys: [key('d', '2024-06-01T00:00:00.000Z')] }] },
    };
    const asked: (string | undefined)[] = [];
    const listing = await listOldKeys(async (token) => (asked.push(token), pages[token ?? 'start']), 365 * 86_400, NOW);
    expect(asked).toEqual([undefined, 'p2']);
    expect(listing).toEqual({
      addedBefore: '2025-12-05T00:00:00.000Z',
      namesChecked: 3,
      items: [
        { name: 'rotating', keys: [key('a', '2025-01-01T00:00:00.000Z')] },
        { name: 'old', keys: [key('d', '2024-06-01T00:00:00.000Z')] },
      ],
    });
  });

  it('lists a key exactly at the cutoff as not older, and one whose addedAt is not a date as old', async () => {
    const page = { items: [{ name: 'edge', keys: [key('a', '2026-12-04T12:00:00.000Z')] }, { name: 'odd', keys: [key('b', 'x')] }] };
    const listing = await listOldKeys(async () => page, 12 * 3600, NOW);
    expect(listing.items).toEqual([{ name: 'odd', keys: [key('b', 'x')] }]);
  });

  it('starts from a given next token and stops after MAX_LISTING_PAGES, handing back where to go on', async () => {
    let calls = 0;
    const listing = await listOldKeys(async (token) => (calls++, { items: [], nextToken: `${token}+` }), 3600, NOW, 'from');
    expect(calls).toBe(MAX_LISTING_PAGES);
    expect(listing.nextToken).toBe(`from${'+'.repeat(MAX_LISTING_PAGES)}`);
  });

  it('refuses a page without keys (a deployment from before key age) with a clear error', async () => {
    await expect(listOldKeys(async () => ({ items: [{ name: 'acme', kids: ['a'] }] }), 3600, NOW)).rejects.toThrow(CliError);
    await expect(listOldKeys(async () => ({ items: [{ name: 'acme', kids: ['a'] }] }), 3600, NOW)).rejects.toThrow(/predates key age/);
  });
});
