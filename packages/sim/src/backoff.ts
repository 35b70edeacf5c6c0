/**
 * Reconnection delays of a simulated agent: exponential backoff with full
 * jitter, as the real agent does (agent/src/net/backoff.ts, not exported),
 * so a simulated fleet that loses its server comes back spread out, not in
 * waves.
 */

/** Reconnect tuning (the real agent's defaults: 1 s base, 120 s cap). */
export interface BackoffTuning {
  readonly baseMs: number
  readonly maxMs: number
}

/**
 * The delay before retry number `attempt` (0 first): uniform in
 * [0, min(maxMs, baseMs·2^attempt)).
 *
 * @example
 * backoffDelay(3, { baseMs: 1000, maxMs: 120_000 }) // somewhere in [0, 8000)
 */
export function backoffDelay(attempt: number, t: BackoffTuning, random: () => number = Math.random): number {
  const n = Math.min(Math.max(Math.floor(attempt) || 0, 0), 52)
  return Math.floor(random() * Math.min(t.maxMs, t.baseMs * 2 ** n))
}
