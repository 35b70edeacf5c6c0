/**
 * The local user database, read from /etc/passwd without NSS and without
 * dependencies.
 *
 * Guarantees: `parsePasswd` never throws; it skips comment, blank, NIS
 * ("+"/"-") and malformed lines instead of guessing, so a user it returns has
 * a non-empty name and integer uid/gid. Users that exist only in a network
 * directory (LDAP, sssd) are invisible here by design: the agent decides
 * whom to run as from the machine's own file, which a remote directory
 * cannot change.
 */
import { readFile } from 'node:fs/promises'

/** One account line of passwd(5). */
export interface PasswdEntry {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly gecos: string
  readonly home: string
  readonly shell: string
}

/** The default location of the local user database. */
export const PASSWD_PATH = '/etc/passwd'

const ID = /^(0|[1-9][0-9]{0,9})$/

/**
 * Parses passwd(5) text: `name:password:uid:gid:gecos:home:shell` per line.
 *
 * @example
 * parsePasswd('root:x:0:0:root:/root:/bin/bash\n')[0]?.home // '/root'
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue
    const f = line.split(':')
    if (f.length !== 7) continue
    const [name, , uid, gid, gecos, home, shell] = f as [string, string, string, string, string, string, string]
    if (name === '' || !ID.test(uid) || !ID.test(gid)) continue
    const u = Number(uid)
    const g = Number(gid)
    if (u > 0xffffffff || g > 0xffffffff) continue
    out.push(Object.freeze({ name, uid: u, gid: g, gecos, home, shell }))
  }
  return out
}

/**
 * Reads and parses the passwd file; a missing or unreadable file yields null
 * (the caller decides whether that is an error).
 */
export async function readPasswd(path: string = PASSWD_PATH): Promise<PasswdEntry[] | null> {
  try {
    return parsePasswd(await readFile(path, 'utf8'))
  } catch {
    return null
  }
}

/**
 * Finds a user by name or by uid. When a name or uid appears twice, the
 * first line wins, as it does for getpwnam(3) with the files backend.
 */
export function findUser(entries: readonly PasswdEntry[], key: string | number): PasswdEntry | undefined {
  return entries.find((e) => (typeof key === 'string' ? e.name === key : e.uid === key))
}
