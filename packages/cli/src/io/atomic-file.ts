/**
 * Crash-safe local files: a reader that refuses symlinks, non-files and
 * oversized files, and a writer that never leaves a half-written file.
 *
 * The writer goes through a temporary file in the same directory: write,
 * fsync, then rename (or link, when the target must not be overwritten),
 * then fsync the directory so the new name survives a power loss. Readers
 * therefore see the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto'
import { constants, promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CliError, ioError } from '../errors.js'

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** File mode of the new file (before umask); 0o600 unless given. */
  readonly mode?: number
  /** When false, fail with EEXIST instead of replacing an existing file. */
  readonly overwrite: boolean
}

// O_NOFOLLOW does not exist on Windows; there the check falls to lstat.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0

/**
 * Writes `data` to `path` atomically. With `overwrite: false` an existing
 * file is left untouched and the call throws the EEXIST error from the file
 * system (callers turn it into their own code).
 *
 * `data` may be an async iterable, written chunk by chunk; if it throws, the
 * temporary file is removed and `path` is untouched.
 *
 * @example
 * await writeFileAtomic('/home/me/.palisade/config.json', text, { overwrite: true, mode: 0o600 })
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | AsyncIterable<string | Uint8Array>,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, options.mode ?? 0o600)
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data)
      else for await (const chunk of data) await handle.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk) // streamed: an export need not fit in memory
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.overwrite) {
      await fs.rename(tmp, path)
    } else {
      await linkNoClobber(tmp, path)
    }
  } catch (e) {
    await fs.rm(tmp, { force: true })
    throw e
  }
  await syncDirectory(dir)
}

// link(2) fails with EEXIST instead of replacing: no check-then-write race.
// File systems without hard links (exFAT, some network mounts) fall back to
// check-then-rename, whose race window is small and only against ourselves.
async function linkNoClobber(tmp: string, path: string): Promise<void> {
  try {
    await fs.link(tmp, path)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e
    const exists = await fs.lstat(path).then(
      () => true,
      (err: { code?: unknown }) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
    )
    if (exists) throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' })
    await fs.rename(tmp, path)
    return
  }
  await fs.unlink(tmp)
}

async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return // directories cannot be opened for fsync there
  const handle = await fs.open(dir, constants.O_RDONLY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Options of readFileBounded. */
export interface ReadBoundedOptions {
  /** Turns "this is not an acceptable file" into the caller's own error. */
  readonly onInvalid: (why: string) => CliError
  /**
   * Follow symlinks and accept pipes and devices: for files the user names
   * on purpose (`--passphrase-file /dev/fd/3`), never for files we own.
   */
  readonly allowSpecial?: boolean
}

/**
 * Reads a file of at most `maxBytes`. Unless `allowSpecial`, only a regular
 * file that is not a symlink is accepted. Returns undefined when the file
 * does not exist; an unacceptable file throws `onInvalid(why)`, any other
 * failure CLI_IO.
 */
export async function readFileBounded(path: string, maxBytes: number, options: ReadBoundedOptions): Promise<Buffer | undefined> {
  const strict = options.allowSpecial !== true
  let handle: fs.FileHandle
  try {
    if (strict && NOFOLLOW === 0 && (await fs.lstat(path)).isSymbolicLink()) throw options.onInvalid('it is a symbolic link')
    handle = await fs.open(path, constants.O_RDONLY | (strict ? NOFOLLOW : 0))
  } catch (e) {
    if (e instanceof CliError) throw e
    const code = (e as { code?: unknown }).code
    if (code === 'ENOENT') return undefined
    if (strict && (code === 'ELOOP' || code === 'EMLINK')) throw options.onInvalid('it is a symbolic link')
    throw ioError('open', path, e)
  }
  try {
    const stat = await handle.stat()
    if (stat.isDirectory() || (strict && !stat.isFile())) throw options.onInvalid('it is not a regular file')
    if (stat.size > maxBytes) throw options.onInvalid(`it is larger than ${maxBytes} bytes`)
    // read to EOF rather than trusting stat.size: pipes report 0, files grow
    const buf = Buffer.alloc(maxBytes + 1)
    let n = 0
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, strict ? n : null)
      if (bytesRead === 0) break
      n += bytesRead
      if (n > maxBytes) throw options.onInvalid(`it is larger than ${maxBytes} bytes`)
    }
    return buf.subarray(0, n)
  } catch (e) {
    if (e instanceof CliError) throw e
    throw ioError('read', path, e)
  } finally {
    await handle.close()
  }
}

/**
 * Creates `dir` (and its parents) with mode 0700 when missing, and refuses
 * an existing one that other users can write to: they could replace the
 * files in it. Mode bits are not checked on Windows, which has no such bits.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (e) {
    throw ioError('create directory', dir, e)
  }
  await checkPrivateDirectory(dir)
}

/** Throws CLI_HOME_INSECURE when `dir` exists and is group- or world-writable. */
export async function checkPrivateDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  let mode: number
  try {
    const stat = await fs.stat(dir)
    if (!stat.isDirectory()) throw new CliError('CLI_IO', `${dir} is not a directory`, { details: { path: dir } })
    mode = stat.mode
  } catch (e) {
    if (e instanceof CliError) throw e
    if ((e as { code?: unknown }).code === 'ENOENT') return
    throw ioError('inspect', dir, e)
  }
  if ((mode & 0o022) !== 0) {
    throw new CliError('CLI_HOME_INSECURE', `${dir} is writable by other users (mode ${(mode & 0o777).toString(8)})`, {
      hint: `run \`chmod 700 ${dir}\`, or choose another directory with --home`,
      details: { path: dir },
    })
  }
}
