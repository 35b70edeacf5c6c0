/**
 * The distribution, from os-release(5).
 *
 * Guarantees: reads /etc/os-release, then /usr/lib/os-release (the order the
 * spec prescribes); returns null and a note when neither is readable. Values
 * are unquoted and unescaped the way the spec allows; nothing is executed.
 */
import { readFile } from 'node:fs/promises'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/** The well-known fields, plus every field the file has. */
export interface OsRelease {
  readonly id: string | null
  readonly idLike: readonly string[]
  readonly name: string | null
  readonly prettyName: string | null
  readonly versionId: string | null
  readonly versionCodename: string | null
  readonly fields: Readonly<Record<string, string>>
}

/** The files os-release(5) says to try, in order. */
export const OS_RELEASE_PATHS = Object.freeze(['/etc/os-release', '/usr/lib/os-release'])

/**
 * Parses os-release text into KEY → value. Lines that are not assignments
 * are ignored; a value in double quotes may escape `"`, `\`, `$` and `` ` ``.
 *
 * @example
 * parseOsRelease('ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n').PRETTY_NAME
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (m === null) continue
    out[m[1]!] = unquote(m[2]!)
  }
  return out
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\$`])/g, '$1')
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1)
  return v.replace(/\\(.)/g, '$1')
}

/**
 * Reads and parses the first os-release file that exists.
 *
 * @example
 * (await collectOsRelease())?.id // 'debian'
 */
export async function collectOsRelease(
  opts: SourceOptions & { readonly paths?: readonly string[] } = {},
): Promise<OsRelease | null> {
  const reasons: string[] = []
  for (const path of opts.paths ?? OS_RELEASE_PATHS) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      reasons.push(`${path} ${reasonOf(e)}`)
      continue
    }
    const f = parseOsRelease(text)
    return {
      id: f['ID'] ?? null,
      idLike: (f['ID_LIKE'] ?? '').split(/\s+/).filter((s) => s !== ''),
      name: f['NAME'] ?? null,
      prettyName: f['PRETTY_NAME'] ?? null,
      versionId: f['VERSION_ID'] ?? null,
      versionCodename: f['VERSION_CODENAME'] ?? null,
      fields: { ...f },
    }
  }
  addNote(opts, 'os-release', reasons.join('; '))
  return null
}
