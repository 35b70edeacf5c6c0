/**
 * Serialises and coalesces work per key (publishing, per org): while a
 * run is in progress, every caller that arrives shares ONE next run, which
 * starts when the current one settles. A caller never shares a run that
 * started before it arrived, because that run's input (the log size) was
 * fixed before the caller's own entries.
 *
 * In-process only: several server nodes each coalesce their own callers,
 * and witnesses sort out the rest (409 + retry, see cosign-checkpoint.ts).
 */

interface Lane<T> {
  running: Promise<T> | undefined
  queued: Promise<T> | undefined
}

/** A per-key coalescing queue. */
export class PublishQueue<T> {
  readonly #lanes = new Map<string, Lane<T>>()

  /**
   * Runs `work(key)` now if nothing runs for `key`; otherwise joins the one
   * run queued behind the current one.
   *
   * @example
   * const queue = new PublishQueue<Checkpoint>()
   * await Promise.all([queue.run('acme', publish), queue.run('acme', publish)]) // publish runs once or twice, never concurrently
   */
  run(key: string, work: (key: string) => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(key)
    if (lane === undefined) {
      lane = { running: undefined, queued: undefined }
      this.#lanes.set(key, lane)
    }
    if (lane.queued !== undefined) return lane.queued
    if (lane.running === undefined) return this.#start(key, lane, work)
    const l = lane
    const queued = lane.running.then(noop, noop).then(() => {
      l.queued = undefined
      return this.#start(key, l, work)
    })
    lane.queued = queued
    return queued
  }

  #start(key: string, lane: Lane<T>, work: (key: string) => Promise<T>): Promise<T> {
    const run: Promise<T> = Promise.resolve()
      .then(() => work(key))
      .finally(() => {
        if (lane.running === run) lane.running = undefined
        if (lane.running === undefined && lane.queued === undefined) this.#lanes.delete(key)
      })
    lane.running = run
    return run
  }
}

function noop(): void {}
