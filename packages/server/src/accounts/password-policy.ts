/**
 * What a console password must be (issue #5; NIST SP 800-63B §5.1.1.2):
 * long rather than "complex", and not one that attackers try first.
 *
 * - NFC-normalised before anything else, so the same password typed on two
 *   keyboards is the same password (the hash is of the normalised form);
 * - 12 to 256 characters, counted in code points (not UTF-16 units);
 * - not in the bundled breached-password list (case-insensitive);
 * - not containing the username or the email's local part (case-insensitive,
 *   when they are 3 characters or more: a 1-letter username would forbid
 *   half the alphabet);
 * - not one character repeated.
 *
 * Each refusal names its rule; the refused password itself never appears in
 * a message.
 */
import { commonPasswords } from './common-passwords.js'

/** Code points, inclusive. */
export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 256

/** The rule a password broke. */
export type PasswordRule = 'length' | 'common' | 'contains-username' | 'contains-email' | 'repeated'

/** Why a password was refused. */
export interface PasswordRefusal {
  readonly rule: PasswordRule
  readonly message: string
}

/** Who the password is for: its username and email must not appear in it. */
export interface PasswordOwner {
  readonly username?: string
  readonly email?: string
}

/**
 * The NFC form of `password`: what is checked, hashed and verified.
 *
 * @example
 * normalisePassword('e\u0301') === '\u00e9' // true
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFC')
}

/**
 * The first rule `password` breaks, or undefined when it is acceptable.
 * The password is normalised first (callers hash the normalised form).
 *
 * @example
 * checkPassword('short', {})?.rule                          // 'length'
 * checkPassword('alice-is-great-2024', { username: 'alice' })?.rule // 'contains-username'
 * checkPassword('plum tractor sandwich', { username: 'bob' }) // undefined
 */
export function checkPassword(password: string, owner: PasswordOwner): PasswordRefusal | undefined {
  const p = normalisePassword(password)
  const length = [...p].length
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return { rule: 'length', message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long` }
  }
  if (new Set(p).size === 1) return { rule: 'repeated', message: 'must not be one character repeated' }
  const lower = p.toLowerCase()
  const username = owner.username?.normalize('NFC').toLowerCase()
  if (username !== undefined && username.length >= 3 && lower.includes(username)) {
    return { rule: 'contains-username', message: 'must not contain the username' }
  }
  const local = owner.email?.normalize('NFC').toLowerCase().split('@', 1)[0]
  if (local !== undefined && local.length >= 3 && lower.includes(local)) {
    return { rule: 'contains-email', message: 'must not contain the email address' }
  }
  if (commonPasswords().has(lower)) return { rule: 'common', message: 'is a commonly used password found in breaches; choose another' }
  return undefined
}
