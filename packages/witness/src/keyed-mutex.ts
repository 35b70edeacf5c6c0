/**
 * One queue per key: `run(key, fn)` starts `fn` only after every earlier
 * `run` with the same key has settled. The witness keys it by log origin,
 * so judging a request and persisting its checkpoint happen as one step per
 * log (tlog-witness: "checking the old size against the latest checkpoint
 * and persisting the new checkpoint must be performed atomically").
 *
 * Guarantees: mutual exclusion per key within this process, FIFO order, and
 * no memory kept for idle keys (attacker-chosen origins do not accumulate).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  /**
   * Runs `fn` alone for `key`; resolves or rejects as `fn` does.
   *
   * @example
   * await mutex.run(origin, async () => { judge(); await persist() })
   */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const done = new Promise<void>((resolve) => (release = resolve))
    const tail = previous.then(() => done)
    this.#tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}
