/**
 * Temporary lockout after failed logins: every 5th consecutive failure
 * locks the account, for 15 minutes the first time and twice as long each
 * further time, up to 24 hours. The failure count is kept across locks
 * (admins.failed_logins) and reset only by a successful login, so a
 * patient guesser gets 5 tries per lock and ever longer locks: about 60
 * guesses in the first day, then 5 a day.
 *
 * A lock never reveals itself at login: a locked account answers plain
 * SRV_UNAUTHENTICATED to every password, the right one included, and
 * verifies none of them. Attempts are counted before they are verified and
 * also while locked (failed-login.ts), so concurrent guesses get at most
 * `threshold` verifications per lock and guesses during a lock make the
 * next lock longer.
 */

/** The lockout parameters. */
export const LOCKOUT = Object.freeze({
  /** Consecutive failures per lock. */
  threshold: 5,
  /** Length of the first lock. */
  firstLockMs: 15 * 60_000,
  /** Longest lock. */
  maxLockMs: 24 * 3_600_000,
})

/**
 * When the account unlocks after its `failedLogins`-th consecutive failure
 * at `now`, or null when this failure does not lock it.
 *
 * @example
 * lockedUntilAfter(4, now)  // null
 * lockedUntilAfter(5, now)  // now + 15 min
 * lockedUntilAfter(10, now) // now + 30 min
 */
export function lockedUntilAfter(failedLogins: number, now: number): number | null {
  if (failedLogins <= 0 || failedLogins % LOCKOUT.threshold !== 0) return null
  const lockNumber = failedLogins / LOCKOUT.threshold
  // 2^(n-1) overflows nothing: the min caps it long before (2^7 × 15 min > 24 h).
  const ms = Math.min(LOCKOUT.firstLockMs * 2 ** Math.min(lockNumber - 1, 16), LOCKOUT.maxLockMs)
  return now + ms
}
