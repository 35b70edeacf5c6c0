/**
 * Reconnection delays: exponential backoff with full jitter.
 *
 * Guarantees: every delay is an integer in [0, min(maxMs, baseMs·2^attempt));
 * the ceiling never overflows however many attempts fail; with randomness
 * injected the sequence is deterministic (for tests). Full jitter ("AWS
 * Architecture Blog: Exponential Backoff and Jitter", 2015) spreads a fleet
 * that lost its server at the same instant evenly over the window, instead
 * of bringing tens of thousands of agents back in synchronised waves.
 *
 * Reset rule: the attempt counter goes back to 0 only after a connection
 * stayed up for `resetAfterMs`, not merely on connect. A server (or a hostile
 * relay, A3) that accepts and then drops every connection would otherwise
 * keep the agent reconnecting at the smallest delay forever.
 */

/** Tuning for the delay sequence. */
export interface BackoffOptions {
  /** Ceiling of the first delay (attempt 0). */
  readonly baseMs: number
  /** No delay exceeds this. */
  readonly maxMs: number
  /** Uniform in [0, 1), like Math.random (the default). */
  readonly random?: () => number
}

/**
 * The delay before retry number `attempt` (0 for the first retry).
 *
 * @example
 * nextDelay(3, { baseMs: 1000, maxMs: 60_000 }) // somewhere in [0, 8000)
 */
export function nextDelay(attempt: number, opts: BackoffOptions): number {
  const { baseMs, maxMs } = opts
  if (!(baseMs >= 0) || !(maxMs >= 0) || !Number.isFinite(baseMs) || !Number.isFinite(maxMs)) {
    throw new RangeError('baseMs and maxMs must be finite and non-negative')
  }
  // Past 2^52 the ceiling is capped anyway; clamping keeps 2 ** n finite and
  // tolerates a negative or fractional attempt from a careless caller.
  const n = Math.min(Math.max(Math.floor(attempt) || 0, 0), 52)
  const ceiling = Math.min(maxMs, baseMs * 2 ** n)
  const r = (opts.random ?? Math.random)()
  // A bad random source must not produce a negative or over-ceiling wait.
  const u = r >= 0 && r < 1 ? r : 0
  return Math.floor(u * ceiling)
}

/**
 * A stateful backoff for one reconnecting connection.
 *
 * @example
 * const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000, resetAfterMs: 30_000 })
 * for (;;) {
 *   const up = Date.now()
 *   await connectAndServe()           // returns when the connection drops
 *   backoff.connectionEnded(Date.now() - up)
 *   await sleep(backoff.next())
 * }
 */
export class Backoff {
  readonly #opts: BackoffOptions
  readonly #resetAfterMs: number
  #attempt = 0

  constructor(opts: BackoffOptions & { readonly resetAfterMs: number }) {
    this.#opts = { baseMs: opts.baseMs, maxMs: opts.maxMs, ...(opts.random && { random: opts.random }) }
    this.#resetAfterMs = opts.resetAfterMs
    nextDelay(0, this.#opts) // validate now, not at the first failure
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.#attempt
  }

  /** The delay to wait before the next attempt; counts the attempt. */
  next(): number {
    return nextDelay(this.#attempt++, this.#opts)
  }

  /**
   * Reports how long the connection that just ended was up. Resets the
   * counter only if it was up for at least `resetAfterMs`.
   */
  connectionEnded(upForMs: number): void {
    if (upForMs >= this.#resetAfterMs) this.#attempt = 0
  }

  /** Forgets all failures (e.g. after the owner restarts the agent or the network changes). */
  reset(): void {
    this.#attempt = 0
  }
}
