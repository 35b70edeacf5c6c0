/**
 * The connection ramp: every connection attempt of every simulated agent
 * (first connect and reconnects alike) waits its turn here, so a fleet of
 * tens of thousands comes up at a bounded rate instead of all at once, and
 * comes back the same way after the server restarts.
 *
 * Guarantees: at most `ratePerSecond` attempts start per second (averaged
 * over a tick; a burst never exceeds a tenth of a second's worth); at most
 * `maxInFlight` handshakes are open at once; tick lengths are jittered by
 * ±50% so simulator processes ramping side by side do not fall into step.
 * The timer runs only while attempts wait.
 */

/** A connection attempt: resolves when its handshake finished (either way). */
export type Attempt = () => Promise<void>

/** Ramp tuning. */
export interface RampOptions {
  readonly ratePerSecond: number
  readonly maxInFlight: number
  readonly random?: () => number
}

const TICK_MS = 20

/**
 * @example
 * const ramp = new Ramp({ ratePerSecond: 500, maxInFlight: 1000 })
 * ramp.enqueue(() => agent.connect())
 */
export class Ramp {
  readonly #rate: number
  readonly #maxInFlight: number
  readonly #random: () => number
  #queue: Attempt[] = []
  #head = 0
  #inFlight = 0
  #tokens = 0
  #last = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(opts: RampOptions) {
    this.#rate = opts.ratePerSecond
    this.#maxInFlight = opts.maxInFlight
    this.#random = opts.random ?? Math.random
  }

  /** Attempts waiting for their turn. */
  get waiting(): number {
    return this.#queue.length - this.#head
  }

  /** Handshakes started and not finished. */
  get inFlight(): number {
    return this.#inFlight
  }

  enqueue(attempt: Attempt): void {
    if (this.#closed) return
    this.#queue.push(attempt)
    if (this.#timer === undefined) {
      this.#last = performance.now()
      this.#schedule()
    }
  }

  /** Drops every waiting attempt and stops the timer. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue = []
    this.#head = 0
  }

  #schedule(): void {
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, Math.round(TICK_MS * (0.5 + this.#random()))))
  }

  #tick(): void {
    this.#timer = undefined
    const now = performance.now()
    const burst = Math.max(1, this.#rate / 10)
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000)
    this.#last = now
    while (this.#tokens >= 1 && this.#inFlight < this.#maxInFlight && this.#head < this.#queue.length) {
      const attempt = this.#queue[this.#head++]!
      this.#tokens -= 1
      this.#inFlight++
      attempt()
        .catch(() => undefined)
        .finally(() => {
          this.#inFlight--
        })
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    if (this.#head < this.#queue.length && !this.#closed) this.#schedule()
  }
}
