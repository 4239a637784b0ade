/**
 * The in-memory caches of the core (compiled JSON schemas, remembered session heads, process envs, stored Lashlang
 * modules) are plain `Map`s held to a capacity: {@link setBounded} is the one way they take an entry.
 *
 * @internal
 */

/**
 * Sets `key` to `value`, moving it to the newest place; at `capacity` the oldest entry (the first key in insertion
 * order) is dropped first, so the map never holds more than `capacity` entries.
 *
 * @internal
 */
export const setBounded = <K, V>(map: Map<K, V>, capacity: number, key: K, value: V): void => {
  map.delete(key)
  if (map.size >= capacity) map.delete(map.keys().next().value as K)
  map.set(key, value)
}
