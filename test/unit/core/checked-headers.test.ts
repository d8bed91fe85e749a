import { describe, expect, it } from 'vitest';
import { CheckedHeaders } from '../../../lambdas/core/checked-headers.js';

const header = (kid: string) => ({ alg: 'RS512', kid });

describe('CheckedHeaders: the bounded cache of checked header segments', () => {
  it('hands back the remembered parse result, frozen, by the exact segment text', () => {
    const cache = new CheckedHeaders();
    cache.remember('seg-a', header('a'));
    expect(cache.get('seg-a')).toStrictEqual(header('a'));
    expect(Object.isFrozen(cache.get('seg-a'))).toBe(true);
    expect(cache.get('seg-A')).toBeUndefined();
  });

  it('keeps the first parse result of a segment it already holds', () => {
    const cache = new CheckedHeaders();
    cache.remember('seg', header('first'));
    cache.remember('seg', header('second'));
    expect(cache.get('seg')).toStrictEqual(header('first'));
    expect(cache.size).toBe(1);
  });

  it('remembers segments of up to 512 characters and no longer ones', () => {
    const cache = new CheckedHeaders();
    cache.remember('x'.repeat(512), header('at-limit'));
    cache.remember('y'.repeat(513), header('over'));
    expect(cache.get('x'.repeat(512))).toStrictEqual(header('at-limit'));
    expect(cache.get('y'.repeat(513))).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('holds at most 64 entries: the 65th empties it first', () => {
    const cache = new CheckedHeaders();
    for (let i = 0; i < 64; i++) cache.remember(`seg-${i}`, header(String(i)));
    expect(cache.size).toBe(64);
    expect(cache.get('seg-0')).toBeDefined();
    cache.remember('seg-64', header('64'));
    expect(cache.size).toBe(1);
    expect(cache.get('seg-0')).toBeUndefined();
    expect(cache.get('seg-64')).toStrictEqual(header('64'));
  });

  it('a repeat of a held segment never empties a full cache', () => {
    const cache = new CheckedHeaders(2);
    cache.remember('a', header('a'));
    cache.remember('b', header('b'));
    cache.remember('a', header('a'));
    expect(cache.size).toBe(2);
  });
});
