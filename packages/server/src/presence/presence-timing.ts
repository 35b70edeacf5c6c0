/**
 * The timings of shared presence, all derived from one setting: how long
 * a node's heartbeat stays fresh (PALISADE_PRESENCE_TTL_MS, default 30 s).
 * A device connected to a node that stopped beating shows offline at most
 * that long after the node's last heartbeat. Each node writes its own TTL
 * with its heartbeat, so nodes may differ.
 */

/** Default freshness of a node's heartbeat. */
export const DEFAULT_PRESENCE_TTL_MS = 30_000

/** A node silent for this many of its own TTLs is dead for good (see {@link PresenceTiming.gcAfterMs}). */
export const GC_AFTER_TTLS = 10

/** Every interval shared presence runs on. */
export interface PresenceTiming {
  /** A heartbeat older than this is stale: the node's devices are offline. */
  readonly ttlMs: number
  /**
   * How often a node writes its heartbeat: a third of the TTL, so two
   * heartbeats can be late (a slow database, a long pause) before its
   * devices flap offline.
   */
  readonly heartbeatMs: number
  /**
   * A node silent for this long is dead for good: whichever node notices
   * deletes its sessions, then its row. Ten TTLs (5 min by default), far
   * beyond any pause a live node recovers from. Other nodes judge it by
   * the TTL in its row, not by their own.
   */
  readonly gcAfterMs: number
  /**
   * How often a node compares its own session rows with the connections
   * it holds and fixes the difference (writes that failed, or that lost a
   * race with another node's): twice the TTL, one minute by default.
   */
  readonly repairEveryMs: number
}

/**
 * The timings for a heartbeat freshness of `ttlMs`.
 *
 * @example
 * presenceTiming(30_000) // { ttlMs: 30000, heartbeatMs: 10000, gcAfterMs: 300000, repairEveryMs: 60000 }
 */
export function presenceTiming(ttlMs = DEFAULT_PRESENCE_TTL_MS): PresenceTiming {
  if (!Number.isInteger(ttlMs) || ttlMs < 100) throw new RangeError(`presence TTL must be a whole number of milliseconds ≥ 100, not ${ttlMs}`)
  return Object.freeze({ ttlMs, heartbeatMs: Math.floor(ttlMs / 3), gcAfterMs: GC_AFTER_TTLS * ttlMs, repairEveryMs: 2 * ttlMs })
}
