/**
 * A small least-recently-used map: proofs and tree roots are pure
 * functions of an append-only log, so a cached answer never goes stale, and
 * the cap bounds memory whatever callers ask for.
 */
export class Lru<K, V> {
  readonly #max: number
  readonly #map = new Map<K, V>()

  /** @example const cache = new Lru<string, Uint8Array>(1024) */
  constructor(max: number) {
    this.#max = max
  }

  /** The value, marked as recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.#map.get(key)
    if (v !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, v)
    }
    return v
  }

  /** Stores a value, evicting the least recently used beyond the cap. */
  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as K)
  }
}
