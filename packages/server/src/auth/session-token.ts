/**
 * Session and CSRF tokens: 32 random bytes in base64url (43 characters).
 * The browser holds the session token in the `palisade_session` cookie and
 * the CSRF token in memory (sent as `x-csrf-token`); the database holds only
 * the hex SHA-256 of each token's text (sessions.token_hash, csrf_hash), so a
 * stolen database opens no session (DESIGN.md G5). 256 bits of entropy need
 * no slow hash: there is nothing to brute-force.
 */
import { randomBytes } from 'node:crypto'
import { hashSecret, secretMatches } from './api-key.js'

/** The shape of a session or CSRF token. */
export const SESSION_TOKEN_RE = /^[A-Za-z0-9_-]{43}$/

/** A new session's tokens and what to store of them. */
export interface NewSessionTokens {
  /** The cookie value: hand it to the browser once, never log it. */
  readonly token: string
  readonly tokenHash: string
  /** The CSRF token: hand it to the console once, never log it. */
  readonly csrf: string
  readonly csrfHash: string
}

/**
 * Makes the two tokens of a new session.
 *
 * @example
 * const { token, tokenHash, csrf, csrfHash } = newSessionTokens()
 * // insert { token_hash: tokenHash, csrf_hash: csrfHash, … }; Set-Cookie: palisade_session=<token>
 */
export function newSessionTokens(): NewSessionTokens {
  const token = randomBytes(32).toString('base64url')
  const csrf = randomBytes(32).toString('base64url')
  return Object.freeze({ token, tokenHash: hashSessionToken(token), csrf, csrfHash: hashSessionToken(csrf) })
}

/**
 * The stored form of a session or CSRF token: hex SHA-256 of its text.
 *
 * @example
 * db.selectFrom('sessions').where('token_hash', '=', hashSessionToken(cookie))
 */
export function hashSessionToken(token: string): string {
  return hashSecret(token)
}

/**
 * True when `presented` is the token whose hash is `storedHash` (constant time).
 *
 * @example
 * csrfMatches(request.headers['x-csrf-token'], session.csrf_hash)
 */
export function tokenMatches(presented: string, storedHash: string): boolean {
  return SESSION_TOKEN_RE.test(presented) && secretMatches(presented, storedHash)
}
