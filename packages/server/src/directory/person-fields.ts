/**
 * The rules for a person's fields, checked at the edge after the route's
 * JSON Schema (which only bounds types and sizes). Every rule reports the
 * field it refuses, and every field is checked, so one answer lists all
 * that is wrong.
 *
 * - username: a POSIX-style login, `^[a-z_][a-z0-9._-]{0,31}$` (lower case
 *   like useradd's default; 32 characters at most, the utmp limit);
 * - email: an RFC 5322 addr-spec subset: one `@`, a dot-atom local part of
 *   at most 64 characters, a domain of at least two labels (letters,
 *   digits, hyphens; UTF-8 allowed for internationalised names), at most
 *   254 characters in all, no spaces or control characters;
 * - name: 1–200 characters, not blank, no control characters;
 * - sshKeys: at most 32 OpenSSH public key lines (ssh-public-key.ts),
 *   deduplicated by key blob, first occurrence kept;
 * - attributes: at most 64 string values of ≤ 1024 characters, keys
 *   `^[A-Za-z][A-Za-z0-9_.-]{0,63}$`.
 *
 * Text is normalised to NFC before it is checked and stored.
 */
import type { FieldError } from '../errors.js'
import { formatSshPublicKey, parseSshPublicKey } from './ssh-public-key.js'
import { codePoints, textProblem } from './text-rules.js'

export const USERNAME_RE = /^[a-z_][a-z0-9._-]{0,31}$/
export const ATTRIBUTE_KEY_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/
export const PERSON_STATUSES = ['active', 'suspended'] as const
export type PersonStatus = (typeof PERSON_STATUSES)[number]
export const MAX_SSH_KEYS = 32
export const MAX_ATTRIBUTES = 64
export const MAX_ATTRIBUTE_VALUE = 1024
export const MAX_NAME = 200

// RFC 5322 atext, plus any non-ASCII letter (RFC 6531) — but no space, quote, bracket or control.
const ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+$/u
const LABEL = /^(?!-)[A-Za-z0-9\u0080-\uffff-]{1,63}(?<!-)$/u

/** The person fields of a create or update body (all optional here; the schema requires some on create). */
export interface PersonInput {
  readonly username?: string
  readonly email?: string
  readonly name?: string
  readonly status?: string
  readonly sshKeys?: readonly string[]
  readonly attributes?: Readonly<Record<string, string>>
}

/** The checked, normalised fields (only those given). */
export interface PersonFields {
  username?: string
  email?: string
  name?: string
  status?: PersonStatus
  sshKeys?: string[]
  attributes?: Record<string, string>
}

/**
 * Checks and normalises the given fields; `errors` is empty when all pass.
 *
 * @example
 * const { fields, errors } = checkPersonFields({ username: 'ada', email: 'ada@example.com', name: 'Ada' })
 * // errors: [], fields.username: 'ada'
 */
export function checkPersonFields(input: PersonInput): { fields: PersonFields; errors: FieldError[] } {
  const fields: PersonFields = {}
  const errors: FieldError[] = []
  const fail = (path: string, message: string): void => void errors.push({ path: `/body/${path}`, message })

  if (input.username !== undefined) {
    const username = input.username.normalize('NFC')
    if (!USERNAME_RE.test(username)) {
      fail('username', /[A-Z]/.test(username)
        ? 'must be lower case (a POSIX login: a-z, 0-9, ".", "_", "-"; starting with a letter or "_"; at most 32)'
        : 'must be a POSIX login: a-z, 0-9, ".", "_", "-"; starting with a letter or "_"; 1 to 32 characters')
    } else fields.username = username
  }
  if (input.email !== undefined) {
    const email = input.email.normalize('NFC')
    const problem = emailProblem(email)
    if (problem !== undefined) fail('email', problem)
    else fields.email = email
  }
  if (input.name !== undefined) {
    const name = input.name.normalize('NFC')
    const length = codePoints(name)
    const problem = textProblem(name)
    if (length < 1 || length > MAX_NAME || name.trim() === '') fail('name', `must be 1 to ${MAX_NAME} characters, not blank`)
    else if (problem !== undefined) fail('name', problem)
    else fields.name = name
  }
  if (input.status !== undefined) {
    if ((PERSON_STATUSES as readonly string[]).includes(input.status)) fields.status = input.status as PersonStatus
    else fail('status', `must be one of ${PERSON_STATUSES.join(', ')}`)
  }
  if (input.sshKeys !== undefined) {
    const lines = checkSshKeys(input.sshKeys, fail)
    if (lines !== undefined) fields.sshKeys = lines
  }
  if (input.attributes !== undefined) {
    const attributes = checkAttributes(input.attributes, fail)
    if (attributes !== undefined) fields.attributes = attributes
  }
  return { fields, errors }
}

/** Why `email` is not an acceptable address, or undefined. */
export function emailProblem(email: string): string | undefined {
  if (email.length > 254) return 'must be at most 254 characters'
  if (textProblem(email) !== undefined || /\s/u.test(email)) return 'must not contain spaces, control characters or broken Unicode'
  const at = email.split('@')
  if (at.length !== 2) return 'must contain exactly one "@"'
  const [local, domain] = at as [string, string]
  if (local.length < 1 || local.length > 64) return 'must have a local part (before "@") of 1 to 64 characters'
  if (!local.split('.').every((atom) => ATOM.test(atom))) return 'has an invalid local part (before "@")'
  const labels = domain.split('.')
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return 'must have a domain with at least one dot, e.g. example.com'
  return undefined
}

function checkSshKeys(keys: readonly string[], fail: (path: string, message: string) => void): string[] | undefined {
  if (keys.length > MAX_SSH_KEYS) {
    fail('sshKeys', `must have at most ${MAX_SSH_KEYS} keys`)
    return undefined
  }
  const lines: string[] = []
  const seen = new Set<string>()
  let ok = true
  for (const [i, line] of keys.entries()) {
    const parsed = parseSshPublicKey(line.normalize('NFC'))
    if (!parsed.ok) {
      fail(`sshKeys/${i}`, parsed.reason)
      ok = false
    } else if (!seen.has(parsed.key.blob)) {
      seen.add(parsed.key.blob)
      lines.push(formatSshPublicKey(parsed.key))
    }
  }
  return ok ? lines : undefined
}

function checkAttributes(
  attributes: Readonly<Record<string, string>>,
  fail: (path: string, message: string) => void,
): Record<string, string> | undefined {
  const entries = Object.entries(attributes)
  if (entries.length > MAX_ATTRIBUTES) {
    fail('attributes', `must have at most ${MAX_ATTRIBUTES} keys`)
    return undefined
  }
  // A null-prototype object: keys such as "constructor" are plain data here.
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  let ok = true
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = `attributes/${key.slice(0, 64).replaceAll('~', '~0').replaceAll('/', '~1')}`
    if (!ATTRIBUTE_KEY_RE.test(key)) {
      fail(path, 'is not a valid attribute name (a letter, then up to 63 of A-Z a-z 0-9 _ . -)')
      ok = false
      continue
    }
    const text = value.normalize('NFC')
    const problem = codePoints(text) > MAX_ATTRIBUTE_VALUE ? `must be at most ${MAX_ATTRIBUTE_VALUE} characters` : textProblem(text)
    if (problem !== undefined) {
      fail(path, problem)
      ok = false
    } else out[key] = text
  }
  return ok ? out : undefined
}
