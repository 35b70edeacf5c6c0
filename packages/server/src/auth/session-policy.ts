/**
 * How long a console session lives, in one place: the access hook enforces
 * it on every request and the accounts code uses it when it creates a
 * session (expires_at = created_at + absoluteTimeoutMs).
 *
 * A session dies at whichever comes first: `absoluteTimeoutMs` after it was
 * created (sessions.expires_at), or `idleTimeoutMs` after it was last used
 * (sessions.last_seen_at). last_seen_at is written at most once per
 * `touchIntervalMs`, so a busy console does not turn every read into a write;
 * the idle timeout is therefore exact to within that interval.
 */

/** The session lifetimes; every field in milliseconds. */
export interface SessionPolicy {
  /** Unused this long, a session is dead (default 30 minutes). */
  readonly idleTimeoutMs: number
  /** A session never outlives this, however busy (default 12 hours). */
  readonly absoluteTimeoutMs: number
  /** last_seen_at is refreshed at most this often (default 1 minute). */
  readonly touchIntervalMs: number
}

/**
 * The defaults.
 *
 * @example
 * const expiresAt = now + SESSION_POLICY.absoluteTimeoutMs
 */
export const SESSION_POLICY: SessionPolicy = Object.freeze({
  idleTimeoutMs: 30 * 60_000,
  absoluteTimeoutMs: 12 * 3_600_000,
  touchIntervalMs: 60_000,
})

/** Name of the cookie holding the session token (HttpOnly, Secure, SameSite=Strict, Path=/). */
export const SESSION_COOKIE = 'palisade_session'

/** Header that must carry the session's CSRF token on every request other than GET/HEAD. */
export const CSRF_HEADER = 'x-csrf-token'
