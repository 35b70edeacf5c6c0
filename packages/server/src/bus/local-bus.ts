/**
 * The in-process bus: one server node alone (no PALISADE_BUS_URL), or
 * several apps in one process sharing an instance (tests). Delivery is
 * asynchronous (a microtask), like a real bus, so a publisher never runs
 * its subscribers inside its own call stack.
 */
import type { Bus, BusHandler, BusHealth, Subject } from './bus.js'

/**
 * @example
 * const bus = new LocalBus()
 * const off = bus.subscribe(SUBJECTS.events, (data) => console.log(data.length))
 * bus.publish(SUBJECTS.events, new Uint8Array([1]))
 */
export class LocalBus implements Bus {
  readonly #handlers = new Map<Subject, Set<BusHandler>>()
  readonly #onError: (err: unknown) => void
  #closed = false

  /** `onError` receives what a handler threw (default: ignored). */
  constructor(options: { readonly onError?: (err: unknown) => void } = {}) {
    this.#onError = options.onError ?? (() => {})
  }

  publish(subject: Subject, data: Uint8Array): void {
    if (this.#closed) return
    const set = this.#handlers.get(subject)
    if (set === undefined || set.size === 0) return
    const copy = data.slice() // a subscriber must not see the publisher's later writes
    for (const handler of [...set]) {
      queueMicrotask(() => {
        if (this.#closed || !set.has(handler)) return
        try {
          handler(copy)
        } catch (err) {
          this.#onError(err)
        }
      })
    }
  }

  subscribe(subject: Subject, handler: BusHandler): () => void {
    let set = this.#handlers.get(subject)
    if (set === undefined) this.#handlers.set(subject, (set = new Set()))
    const mine = set
    // A wrapper per subscription, so subscribing one function twice gives two independent subscriptions.
    const entry: BusHandler = (d) => handler(d)
    mine.add(entry)
    return () => void mine.delete(entry)
  }

  health(): BusHealth {
    return this.#closed ? { ok: false, reason: 'the bus is closed' } : { ok: true }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#handlers.clear()
  }
}
