/** The bounded cache map keeps at most `max` entries and evicts the oldest first. */
import { describe, expect, it } from 'vitest';
import { setBounded } from '../../src/storage/bounded-map.js';

describe('setBounded', () => {
  it('evicts the oldest entry when a new key arrives at the limit', () => {
    const map = new Map<string, number>();
    for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) setBounded(map, key, index, 3);
    expect([...map.keys()]).toEqual(['b', 'c', 'd']);
  });

  it('replaces the value of a known key without evicting anything', () => {
    const map = new Map<string, number>([['a', 1], ['b', 2]]);
    setBounded(map, 'a', 10, 2);
    expect([...map.entries()]).toEqual([['a', 10], ['b', 2]]);
  });
});
