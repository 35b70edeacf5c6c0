/**
 * The rate limit of POST /add-checkpoint per client address, in two tiers,
 * so that junk costs its sender and the log's own client is not hurt:
 * - every request takes a token from a generous bucket (default bursts of
 *   600, 20 a second), far above what a log server asks of a witness;
 * - a request refused before its log signature verified (malformed, too
 *   large, unknown log, bad signature: `authenticated` false) also takes a
 *   token from a strict bucket (default bursts of 20, one per 5 s). Once
 *   that bucket is empty, a request from the address is answered 429 unless
 *   it carries a valid log signature (the caller checks that without
 *   recording anything), so junk is refused before it reaches the refusal
 *   log or the webhook, while the log's signed requests still pass.
 *
 * Guarantees: memory is bounded (each tier keeps at most `maxKeys`
 * addresses, least recently used forgotten, like RateLimiter).
 *
 * Trusts: the address Fastify reports.
 */
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js'

/** Settings of the add-checkpoint limit. */
export interface AddCheckpointLimitOptions {
  /** Every request (default bursts of 600, 20 a second). */
  readonly all?: RateLimitOptions
  /** Requests refused before their log signature verified (default bursts of 20, 0.2 a second). */
  readonly unsigned?: RateLimitOptions
}

/** The defaults: generous for a log, strict for junk. */
export const ADD_CHECKPOINT_LIMITS: Required<AddCheckpointLimitOptions> = Object.freeze({
  all: Object.freeze({ burst: 600, perSecond: 20 }),
  unsigned: Object.freeze({ burst: 20, perSecond: 0.2 }),
})

/** Why a request is turned away, with the Retry-After to send (seconds). */
export interface Limited {
  readonly retryAfter: number
  readonly detail: string
}

/** The two-tier limit of one witness. */
export class AddCheckpointLimit {
  readonly #all: RateLimiter
  readonly #unsigned: RateLimiter
  readonly #retryAll: number
  readonly #retryUnsigned: number

  constructor(options: AddCheckpointLimitOptions = {}) {
    const all = options.all ?? ADD_CHECKPOINT_LIMITS.all
    const unsigned = options.unsigned ?? ADD_CHECKPOINT_LIMITS.unsigned
    this.#all = new RateLimiter(all)
    this.#unsigned = new RateLimiter(unsigned)
    this.#retryAll = Math.max(1, Math.ceil(1 / all.perSecond))
    this.#retryUnsigned = Math.max(1, Math.ceil(1 / unsigned.perSecond))
  }

  /**
   * Takes a token for any request from `ip`; a refusal when none is left.
   *
   * @example
   * const limited = limit.admit(req.ip, Date.now())
   * if (limited !== undefined) return reply.code(429).header('retry-after', String(limited.retryAfter)).send()
   */
  admit(ip: string, nowMs: number): Limited | undefined {
    if (this.#all.take(ip, nowMs)) return undefined
    return { retryAfter: this.#retryAll, detail: `too many add-checkpoint requests from ${ip}; retry later` }
  }

  /**
   * Whether `ip` may still send a request that could turn out unsigned;
   * when not, the caller lets only log-signed requests through.
   */
  mayFailUnsigned(ip: string, nowMs: number): boolean {
    return this.#unsigned.peek(ip, nowMs)
  }

  /** Records that a request from `ip` was refused before its log signature verified. */
  failedUnsigned(ip: string, nowMs: number): void {
    this.#unsigned.take(ip, nowMs)
  }

  /** The refusal for an unsigned request from an address out of junk tokens. */
  unsignedLimited(ip: string): Limited {
    return {
      retryAfter: this.#retryUnsigned,
      detail: `too many add-checkpoint requests without a valid log signature from ${ip}; retry later`,
    }
  }
}
