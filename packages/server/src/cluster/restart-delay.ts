/**
 * How long the primary waits before restarting a worker that died:
 * exponential backoff, so a worker that cannot start (database gone, a bug
 * at startup) is retried without spinning a core, and one that crashed
 * once after a long run comes back at once.
 */

/** First delay. */
export const RESTART_BASE_MS = 250
/** Longest delay. */
export const RESTART_MAX_MS = 30_000
/** A worker that ran at least this long counts as healthy: its next restart starts from the base delay again. */
export const STABLE_RUN_MS = 60_000

/**
 * The delay before restart number `failures` (0 for the first since the
 * worker last ran stably).
 *
 * @example
 * restartDelay(0) // 250
 * restartDelay(3) // 2000
 * restartDelay(20) // 30000
 */
export function restartDelay(failures: number): number {
  const n = Math.min(Math.max(Math.floor(failures) || 0, 0), 20)
  return Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** n)
}
