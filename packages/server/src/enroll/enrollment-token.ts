/**
 * Enrollment tokens: 32 random bytes, base64url (43 characters), shown once
 * to the admin and carried by the install command. The server keeps only
 * SHA-256 of the token (DESIGN.md G5), so a stolen database enrolls nothing.
 */
import { createHash, randomBytes } from 'node:crypto'

/** Token entropy in bytes. */
export const TOKEN_BYTES = 32
/** The one spelling of a token: unpadded base64url of {@link TOKEN_BYTES} bytes. */
export const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/

/** Bounds of a token's lifetime and uses, as WIRE.md states them. */
export const TOKEN_LIMITS = Object.freeze({
  minTtlSeconds: 60,
  maxTtlSeconds: 604_800,
  defaultTtlSeconds: 86_400,
  minUses: 1,
  maxUses: 10_000,
  defaultUses: 1,
})

/**
 * A fresh token.
 *
 * @example
 * newEnrollmentToken() // 'q3V…' (43 characters)
 */
export function newEnrollmentToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url')
}

/**
 * What is stored and looked up: lower-case hex SHA-256 of the token text.
 * A plain hash suffices: the token has 256 bits of entropy.
 *
 * @example
 * hashEnrollmentToken(token) // 64 hex digits
 */
export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
