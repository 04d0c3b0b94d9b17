/**
 * A Map used as a cache of at most `max` entries: when full, the oldest entry (Map iteration follows
 * insertion order) makes room. For caches whose keys come from a bounded but not fixed set, where an
 * evicted entry is merely built again: prepared statements, statement names, client records.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (!map.has(key) && map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
