/**
 * TOTP (RFC 6238) for console MFA, through otpauth: HMAC-SHA-1, 6 digits,
 * 30-second steps — what every authenticator app implements — accepting
 * the previous, current and next step for clock drift (±1), and never a
 * step at or before the last one accepted for the admin
 * (admins.totp_last_step), so a code seen over a shoulder or in a proxy log
 * cannot be replayed, not even within its own 30 seconds.
 */
import { Secret, TOTP } from 'otpauth'

/** The issuer shown by authenticator apps. */
export const TOTP_ISSUER = 'Palisade'
/** RFC 6238 parameters. */
export const TOTP_PARAMS = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30 })
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1

/**
 * A fresh secret: 20 random bytes (RFC 4226 §4 recommends 160 bits), base32.
 *
 * @example
 * const secret = newTotpSecret() // 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
 */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/**
 * The otpauth:// URI an authenticator app scans (label = username).
 *
 * @example
 * totpUri('JBSWY3DPEHPK3PXP', 'alice') // 'otpauth://totp/Palisade:alice?issuer=Palisade&secret=…'
 */
export function totpUri(secret: string, username: string): string {
  return totpFor(secret, username).toString()
}

/**
 * The step `code` is valid for at `now` (ms), or undefined when it is not
 * a valid code, or its step is not after `lastStep` (a replay). Store the
 * returned step as the admin's totp_last_step.
 *
 * @example
 * const step = acceptTotp(secret, body.totp, Date.now(), row.totp_last_step)
 * if (step === undefined) throw mfaInvalid()
 */
export function acceptTotp(secret: string, code: string, now: number, lastStep: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const totp = totpFor(secret, 'x')
  const delta = totp.validate({ token: code, timestamp: now, window: TOTP_WINDOW })
  if (delta === null) return undefined
  const step = totp.counter({ timestamp: now }) + delta
  return lastStep !== null && step <= lastStep ? undefined : step
}

/**
 * The code for `now` (tests, and nothing else on the server).
 *
 * @example
 * totpCode(secret, Date.now()) // '287082'
 */
export function totpCode(secret: string, now: number): string {
  return totpFor(secret, 'x').generate({ timestamp: now })
}

function totpFor(secret: string, label: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, secret: Secret.fromBase32(secret), ...TOTP_PARAMS })
}
