/**
 * The `Set-Cookie` values of the console session (shared with
 * auth/presented-credentials.ts, which reads the cookie): HttpOnly (no
 * script can read it), Secure (never sent in clear), SameSite=Strict (never
 * sent on a cross-site request; CSRF tokens are the second fence), Path=/,
 * Max-Age = the session's absolute lifetime.
 */
import { SESSION_COOKIE } from '../auth/session-policy.js'

const ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/'

/**
 * The cookie that opens a session.
 *
 * @example
 * reply.header('set-cookie', sessionCookie(token, 43200))
 * // 'palisade_session=<token>; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=43200'
 */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; ${ATTRIBUTES}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`
}

/**
 * The cookie that makes the browser forget the session.
 *
 * @example
 * reply.header('set-cookie', clearedSessionCookie())
 */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`
}
