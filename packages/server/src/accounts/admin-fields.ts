/**
 * Validation of a new console account's fields, each refusal naming its
 * field (paths under `base`, e.g. `/body` or `/body/owner`):
 *
 * - username: 2–64 characters of letters, digits, `.`, `_`, `-`, starting
 *   with a letter or digit; no `@`, so a login name is never mistaken for
 *   an email; unique server-wide ignoring case;
 * - email: the directory's RFC 5322 addr-spec subset; unique server-wide;
 * - name: 1–200 characters, no control characters;
 * - password: password-policy.ts.
 */
import type { FieldError } from '../errors.js'
import { emailProblem } from '../directory/person-fields.js'
import { codePoints, textProblem } from '../directory/text-rules.js'
import { checkPassword } from './password-policy.js'

/** The shape of an admin username. */
export const ADMIN_USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/

/** A new account, as given. */
export interface NewAdminFields {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly password: string
}

/**
 * Every problem of `fields` (empty when acceptable).
 *
 * @example
 * adminFieldErrors({ username: 'alice', email: 'a@example.com', name: 'Alice', password: 'short' }, '/body')
 * // [{ path: '/body/password', message: 'must be 12 to 256 characters long (length)' }]
 */
export function adminFieldErrors(fields: NewAdminFields, base: string): FieldError[] {
  const errors: FieldError[] = []
  if (!ADMIN_USERNAME_RE.test(fields.username)) {
    errors.push({ path: `${base}/username`, message: 'must be 2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  }
  const email = emailProblem(fields.email.normalize('NFC'))
  if (email !== undefined) errors.push({ path: `${base}/email`, message: email })
  const name = fields.name.normalize('NFC')
  const nameProblem = textProblem(name) ?? (codePoints(name) < 1 || codePoints(name) > 200 ? 'must be 1 to 200 characters' : undefined)
  if (nameProblem !== undefined) errors.push({ path: `${base}/name`, message: nameProblem })
  const refusal = checkPassword(fields.password, { username: fields.username, email: fields.email })
  if (refusal !== undefined) errors.push({ path: `${base}/password`, message: `${refusal.message} (${refusal.rule})` })
  return errors
}
