/**
 * A per-source-address limit on login attempts (default 20 a minute), in
 * memory: it blunts password spraying across many accounts from one
 * address, which the per-account lockout cannot see. Each server node
 * counts for itself; the per-account lockout, in the database, is the
 * cross-node bound.
 *
 * Fixed one-minute windows per address, in a Map bounded to `maxEntries`
 * addresses: when full, expired windows are dropped first, then the
 * oldest, so memory stays bounded under a flood of source addresses.
 */

/** Options of {@link LoginRateLimiter}. */
export interface LoginRateLimitOptions {
  /** Attempts per window and address (default 20). */
  readonly limit?: number
  /** Window length (default 60 s). */
  readonly windowMs?: number
  /** Addresses tracked at most (default 10,000). */
  readonly maxEntries?: number
}

/** The answer of {@link LoginRateLimiter.hit}. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number }

/**
 * Counts attempts per address.
 *
 * @example
 * const limiter = new LoginRateLimiter()
 * const d = limiter.hit(request.ip, Date.now())
 * if (!d.allowed) throw new ServerError('SRV_RATE_LIMITED', '…', { headers: { 'retry-after': String(d.retryAfterSeconds) } })
 */
export class LoginRateLimiter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxEntries: number
  readonly #windows = new Map<string, { start: number; count: number }>()

  constructor(options: LoginRateLimitOptions = {}) {
    this.#limit = options.limit ?? 20
    this.#windowMs = options.windowMs ?? 60_000
    this.#maxEntries = options.maxEntries ?? 10_000
  }

  /** Records one attempt from `addr` at `now` and says whether it may proceed. */
  hit(addr: string, now: number): RateDecision {
    let w = this.#windows.get(addr)
    if (w === undefined || now - w.start >= this.#windowMs || now < w.start) {
      this.#windows.delete(addr)
      this.#makeRoom(now)
      w = { start: now, count: 0 }
      this.#windows.set(addr, w)
    }
    w.count++
    if (w.count <= this.#limit) return { allowed: true }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.#windowMs - now) / 1000)) }
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.#windows.size
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < this.#maxEntries) return
    for (const [addr, w] of this.#windows) {
      if (now - w.start >= this.#windowMs) this.#windows.delete(addr)
    }
    // Still full of live windows: forget the oldest (Map keeps insertion order).
    while (this.#windows.size >= this.#maxEntries) {
      const oldest = this.#windows.keys().next().value
      if (oldest === undefined) break
      this.#windows.delete(oldest)
    }
  }
}
