/**
 * Password hashing: argon2id with the OWASP Password Storage Cheat Sheet
 * parameters (m = 19456 KiB, t = 2, p = 1), through @node-rs/argon2 (the
 * reference C implementation, run off the event loop). The stored value is
 * the PHC string, which carries its own parameters and salt, so stronger
 * parameters can be adopted later: {@link verifyPassword} reports when a
 * stored hash uses other parameters, and login rehashes it then.
 *
 * Passwords are NFC-normalised before hashing (see password-policy.ts).
 */
import { randomBytes } from 'node:crypto'
import { hash, parseOptions, verify } from '@node-rs/argon2'
import { normalisePassword } from './password-policy.js'

/** The argon2id parameters new hashes use. */
export const ARGON2_PARAMS = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 })

// Algorithm.Argon2id of @node-rs/argon2, spelled as its value: the type is
// an ambient const enum, which isolatedModules cannot inline.
const ARGON2ID = 2

/**
 * Hashes a password (normalised first) into an argon2id PHC string.
 *
 * @example
 * const stored = await hashPassword('plum tractor sandwich') // '$argon2id$v=19$m=19456,t=2,p=1$…'
 */
export async function hashPassword(password: string): Promise<string> {
  return hash(normalisePassword(password), { ...ARGON2_PARAMS, algorithm: ARGON2ID as never })
}

/** The outcome of {@link verifyPassword}. */
export interface PasswordCheck {
  readonly ok: boolean
  /** The stored hash matched but uses other parameters (or another algorithm): store hashPassword() anew. */
  readonly needsRehash: boolean
}

/**
 * Verifies `password` against a stored PHC string. A malformed stored hash
 * is a mismatch, not an exception: login answers the same either way.
 *
 * @example
 * const { ok, needsRehash } = await verifyPassword(row.password_hash, body.password)
 */
export async function verifyPassword(stored: string, password: string): Promise<PasswordCheck> {
  let ok: boolean
  try {
    ok = await verify(stored, normalisePassword(password))
  } catch {
    return { ok: false, needsRehash: false }
  }
  return { ok, needsRehash: ok && !hasCurrentParams(stored) }
}

/** True when `stored` is argon2id with exactly {@link ARGON2_PARAMS}. */
export function hasCurrentParams(stored: string): boolean {
  try {
    const o = parseOptions(stored)
    return (
      (o.algorithm as number) === ARGON2ID &&
      o.memoryCost === ARGON2_PARAMS.memoryCost &&
      o.timeCost === ARGON2_PARAMS.timeCost &&
      o.parallelism === ARGON2_PARAMS.parallelism
    )
  } catch {
    return false
  }
}

let dummy: Promise<string> | undefined

/**
 * A hash of a random password, made once: login verifies against it when
 * the username is unknown, so unknown and known names cost the same time.
 *
 * @example
 * await verifyPassword(row?.password_hash ?? await dummyPasswordHash(), body.password)
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString('base64url'))
  return dummy
}
