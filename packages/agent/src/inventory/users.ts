/**
 * Local accounts, from /etc/passwd (parsed by system/passwd.ts, no NSS).
 *
 * Guarantees: never throws; [] with a note when the file is unreadable.
 * Password fields and GECOS are not reported: the first may hold a hash on
 * old systems, the second personal data the server does not need.
 */
import { PASSWD_PATH, readPasswd } from '../system/passwd.js'
import { addNote, type SourceOptions } from './source.js'

/** One local account. */
export interface LocalUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
  readonly shell: string
}

/**
 * Lists local accounts in file order.
 *
 * @example
 * (await collectUsers()).find((u) => u.uid === 0)?.name // 'root'
 */
export async function collectUsers(opts: SourceOptions & { readonly passwdPath?: string } = {}): Promise<LocalUser[]> {
  const path = opts.passwdPath ?? PASSWD_PATH
  const entries = await readPasswd(path)
  if (entries === null) {
    addNote(opts, 'users', `${path} unreadable`)
    return []
  }
  return entries.map(({ name, uid, gid, home, shell }) => ({ name, uid, gid, home, shell }))
}
