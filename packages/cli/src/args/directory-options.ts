/**
 * Parsers of the directory commands' arguments (`palisade people`,
 * `groups`, `devices assign`, the owner of `org init`), at the edge: each
 * refusal is CLI_ARG_INVALID naming the flag. They check the shape the
 * server documents (docs/WIRE.md "Directory", field rules) so a typo fails
 * before any request; the server stays the judge of the finer rules
 * (e.g. an email's domain labels), and names the field when it refuses.
 */
import { ID_RE } from '@palisade/protocol'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'

/** A person's username: a POSIX-style login. */
export const USERNAME_RE = /^[a-z_][a-z0-9._-]{0,31}$/
/** A console account's username (server accounts/admin-fields.ts). */
export const ACCOUNT_USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/
/** An attribute key. */
export const ATTRIBUTE_KEY_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/
/** Statuses of a person. */
export const PERSON_STATUSES = ['active', 'suspended'] as const
/** Kinds of group. */
export const GROUP_KINDS = ['user', 'device'] as const

// Control characters, and lone surrogates (broken UTF-16), are refused everywhere by the server.
const CONTROL = /[\p{Cc}\u2028\u2029]/u
const BROKEN = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function invalid(flag: string, value: string, why: string): CliError<'CLI_ARG_INVALID'> {
  return new CliError('CLI_ARG_INVALID', `invalid ${flag} ${quote(value)}: ${why}`)
}

/**
 * A username (`pattern` = USERNAME_RE for people, ACCOUNT_USERNAME_RE for console accounts).
 *
 * @example
 * .requiredOption('--username <u>', 'login name', usernameOption('--username'))
 */
export function usernameOption(flag: string, pattern: RegExp = USERNAME_RE): (value: string) => string {
  return (value) => {
    if (!pattern.test(value)) {
      throw invalid(flag, value, pattern === USERNAME_RE ? 'a username is 1 to 32 of a-z 0-9 . _ -, starting with a letter or _' : 'give 2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit')
    }
    return value
  }
}

/**
 * An email address: one `@`, a non-empty local part, a dotted domain, at most 254 characters.
 *
 * @example
 * .requiredOption('--email <e>', 'email address', emailOption('--email'))
 */
export function emailOption(flag: string): (value: string) => string {
  return (value) => {
    const at = value.indexOf('@')
    const ok = value.length <= 254 && at > 0 && at === value.lastIndexOf('@') && /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@.]+$/u.test(value) && !CONTROL.test(value)
    if (!ok) throw invalid(flag, value, 'give an address like alice@example.com (one @, a dotted domain, at most 254 characters)')
    return value.normalize('NFC')
  }
}

/**
 * Free text of `min`..`max` characters (code points), no control characters; `lines` allows line breaks and tabs.
 *
 * @example
 * .option('--name <n>', 'full name', textOption('--name', 1, 200))
 */
export function textOption(flag: string, min: number, max: number, lines = false): (value: string) => string {
  return (value) => {
    const v = value.normalize('NFC')
    const length = [...v].length
    const control = lines ? CONTROL.test(v.replace(/[\n\r\t]/g, '')) : CONTROL.test(v)
    if (control || BROKEN.test(v)) throw invalid(flag, value, 'control characters are not allowed')
    if (length < min || length > max || (min > 0 && v.trim() === '')) throw invalid(flag, value, `give ${min} to ${max} characters${min > 0 ? ', not blank' : ''}`)
    return v
  }
}

/**
 * A directory id (person, group, device): 1 to 64 of A-Z a-z 0-9 _ -, as the server issues them.
 *
 * @example
 * .argument('<id>', 'the group id', idArgument('group id'))
 */
export function idArgument(what: string): (value: string) => string {
  return (value) => {
    if (!ID_RE.test(value)) throw invalid(what, value, 'an id is 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit')
    return value
  }
}

/**
 * A person or group reference: an id, or a username / group name (checked
 * as text here; which one it is is decided by asking the server).
 *
 * @example
 * .argument('<person>', 'id or username', referenceArgument('person'))
 */
export function referenceArgument(what: string): (value: string) => string {
  return textOption(what, 1, 200)
}

/**
 * A repeatable `--attr key=value`, collected into an object (a later key wins).
 *
 * @example
 * .option('--attr <key=value>', 'an attribute (repeatable)', attributeOption, {})
 */
export function attributeOption(value: string, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const eq = value.indexOf('=')
  const key = eq < 0 ? value : value.slice(0, eq)
  if (eq < 0 || !ATTRIBUTE_KEY_RE.test(key)) throw invalid('--attr', value, 'give key=value, the key 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter')
  const v = textOption(`--attr ${key}`, 0, 1024)(value.slice(eq + 1))
  return { ...previous, [key]: v }
}

/**
 * A repeatable `--unset-attr key`.
 *
 * @example
 * .option('--unset-attr <key>', 'remove an attribute (repeatable)', unsetAttributeOption, [])
 */
export function unsetAttributeOption(value: string, previous: readonly string[] = []): string[] {
  if (!ATTRIBUTE_KEY_RE.test(value)) throw invalid('--unset-attr', value, 'an attribute key is 1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter')
  return [...previous, value]
}

/**
 * Collects a repeatable option through `parse`.
 *
 * @example
 * .option('--ssh-key-file <f>', 'a public key file (repeatable)', collect(fileOption('--ssh-key-file')), [])
 */
export function collect<T>(parse: (v: string) => T): (value: string, previous?: T[]) => T[] {
  return (value, previous = []) => [...previous, parse(value)]
}

/**
 * A file path given on the command line: non-empty, no NUL (existence is checked when read).
 *
 * @example
 * .option('--owner-password-file <path>', '…', fileOption('--owner-password-file'))
 */
export function fileOption(flag: string): (value: string) => string {
  return (value) => {
    if (value === '' || value.includes('\0')) throw invalid(flag, value, 'give a file path')
    return value
  }
}
