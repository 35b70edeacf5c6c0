/**
 * The bundled breached-password list (packages/server/data/common-passwords.txt,
 * see data/SOURCES.md): every password of 12 characters or more from the
 * SecLists top-1M list. Loaded once, on first use, into a Set of lower-case
 * entries, so that a server that never sees a password change never pays
 * for it (~44k entries, a few MB).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Where the list ships: `data/` beside `dist/` in the package. */
export const COMMON_PASSWORDS_FILE = fileURLToPath(new URL('../../data/common-passwords.txt', import.meta.url))

let cached: ReadonlySet<string> | undefined

/**
 * The list as a Set of lower-cased entries (read synchronously once; the
 * file ships with the package, so failing to read it is a broken install
 * and throws).
 *
 * @example
 * commonPasswords().has('correcthorsebatterystaple') // true or false
 */
export function commonPasswords(): ReadonlySet<string> {
  if (cached === undefined) {
    const set = new Set<string>()
    for (const line of readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n')) {
      const entry = line.replace(/\r$/, '')
      if (entry !== '') set.add(entry.toLowerCase())
    }
    cached = set
  }
  return cached
}
