/**
 * Where the secret box key (secret-box.ts) comes from, decided once at
 * startup:
 *
 * 1. PALISADE_SECRET_KEY (config.secretKey): base64 of 32 bytes — for
 *    several server nodes sharing one database, which must share the key;
 * 2. else `<dataDir>/secret.key`: 32 raw bytes, created at first start if
 *    absent, with mode 0600, atomically (written to a private temp file,
 *    then hard-linked into place, which fails rather than overwrites if
 *    another process won the race — then its key is used).
 *
 * An existing file must be a regular file of exactly 32 bytes readable by
 * its owner only; anything else stops the server with a message saying
 * what to fix, rather than sealing secrets under a key others can read.
 *
 * Keep this file out of database backups, or the backup is no safer than
 * the key beside it.
 */
import { randomBytes } from 'node:crypto'
import { constants, promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { ServerConfig } from '../config.js'
import { ServerError } from '../errors.js'
import { SECRET_KEY_BYTES, SecretBox } from './secret-box.js'

/** The key file's name in the data directory. */
export const SECRET_KEY_FILE = 'secret.key'

/**
 * Reads (or creates) the key and returns a SecretBox over it. Throws
 * ServerError SRV_CONFIG_INVALID naming the file when it is unusable.
 *
 * @example
 * const box = await loadSecretBox(config)
 */
export async function loadSecretBox(config: Pick<ServerConfig, 'dataDir' | 'secretKey'>): Promise<SecretBox> {
  if (config.secretKey !== null) return new SecretBox(Buffer.from(config.secretKey, 'base64'))
  const path = join(config.dataDir, SECRET_KEY_FILE)
  const existing = await readKeyFile(path)
  if (existing !== undefined) return new SecretBox(existing)
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    await handle.writeFile(randomBytes(SECRET_KEY_BYTES))
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.link(tmp, path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  } finally {
    await fs.unlink(tmp).catch(() => undefined)
  }
  const key = await readKeyFile(path)
  if (key === undefined) throw refuse(path, 'vanished while being created')
  return new SecretBox(key)
}

async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let stat
  try {
    stat = await fs.lstat(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw refuse(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (!stat.isFile()) throw refuse(path, 'must be a regular file (not a link or directory)')
  if ((stat.mode & 0o077) !== 0) {
    throw refuse(path, `is readable or writable by others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 on it`)
  }
  if (stat.size !== SECRET_KEY_BYTES) throw refuse(path, `must hold exactly ${SECRET_KEY_BYTES} bytes, not ${stat.size}`)
  const bytes = await fs.readFile(path)
  if (bytes.length !== SECRET_KEY_BYTES) throw refuse(path, `must hold exactly ${SECRET_KEY_BYTES} bytes`)
  return bytes
}

function refuse(path: string, why: string): ServerError<'SRV_CONFIG_INVALID'> {
  const message = `the secret key file ${path} ${why}`
  return new ServerError('SRV_CONFIG_INVALID', message, { errors: [{ path, message: why }] })
}
