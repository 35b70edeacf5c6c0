/**
 * A token bucket per client address, for the routes anyone may call with a
 * body the witness stores (device reports).
 *
 * Guarantees: a key gets at most `burst` requests at once and `perSecond`
 * on average; memory is bounded: at most `maxKeys` buckets are kept, and
 * when a new key arrives at the bound the least recently used bucket is
 * forgotten (a forgotten address starts again with a full bucket, which
 * costs an attacker with many addresses nothing they did not already have).
 *
 * Trusts: the address Fastify reports (the socket's, unless the operator
 * configured a trusted proxy).
 */

/** Settings of a RateLimiter. */
export interface RateLimitOptions {
  /** Requests allowed at once. */
  readonly burst: number
  /** Requests allowed per second on average. */
  readonly perSecond: number
  /** Buckets kept at most. */
  readonly maxKeys?: number
}

interface Bucket {
  tokens: number
  at: number
}

/** Token buckets by key. */
export class RateLimiter {
  readonly #o: Required<RateLimitOptions>
  readonly #buckets = new Map<string, Bucket>()

  constructor(options: RateLimitOptions) {
    this.#o = { maxKeys: 10_000, ...options }
  }

  /** Buckets held now (for tests of the bound). */
  get size(): number {
    return this.#buckets.size
  }

  /**
   * Whether `key` has a token at `nowMs`, without taking it or creating a
   * bucket (an unknown key has a full one).
   *
   * @example
   * if (!limiter.peek(req.ip, Date.now())) return reply.code(429).send()
   */
  peek(key: string, nowMs: number): boolean {
    const b = this.#buckets.get(key)
    if (b === undefined) return this.#o.burst >= 1
    return Math.min(this.#o.burst, b.tokens + ((nowMs - b.at) / 1000) * this.#o.perSecond) >= 1
  }

  /**
   * Takes one token for `key` at `nowMs`; false when the bucket is empty.
   *
   * @example
   * if (!limiter.take(req.ip, Date.now())) return reply.code(429).send()
   */
  take(key: string, nowMs: number): boolean {
    let b = this.#buckets.get(key)
    if (b === undefined) {
      if (this.#buckets.size >= this.#o.maxKeys) {
        const oldest = this.#buckets.keys().next().value
        if (oldest !== undefined) this.#buckets.delete(oldest)
      }
      b = { tokens: this.#o.burst, at: nowMs }
    } else {
      this.#buckets.delete(key) // re-inserted below: the Map's order is recency
      b.tokens = Math.min(this.#o.burst, b.tokens + ((nowMs - b.at) / 1000) * this.#o.perSecond)
      b.at = nowMs
    }
    this.#buckets.set(key, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }
}
