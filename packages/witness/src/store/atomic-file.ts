/**
 * Crash-safe small files for the witness's state (after
 * packages/agent/src/state/atomic-file.ts).
 *
 * Guarantees: after `writeFileAtomic` resolves, the file holds the new bytes
 * and survives a power cut; if the process or machine dies at any earlier
 * point, the file holds the complete old bytes (or does not exist). Readers
 * never see a partial write. `createFileExclusive` does the same for a file
 * that must never be replaced (the witness key): it fails with EEXIST if the
 * name exists. Files are created with mode 0600.
 *
 * Trusts: the local filesystem to implement rename(2) and link(2)
 * atomically within one directory and to honour fsync(2). A crash may leave
 * a stray `.<name>.<random>.tmp`; it is never read, and it is private.
 */
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { ioError, systemErrorCode, WitnessError } from '../errors.js'

/**
 * Replaces `path` with `data` atomically and durably: write a temporary
 * file, fsync it, rename it over `path`, fsync the directory.
 *
 * @example
 * await writeFileAtomic(join(dataDir, 'logs.json'), JSON.stringify(logs))
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(path, data)
  try {
    await rename(tmp, path)
    await syncDirectory(dirname(path))
  } catch (e) {
    await unlink(tmp).catch(() => undefined)
    throw ioError('write', path, e)
  }
}

/**
 * Creates `path` with `data` durably, only if it does not exist yet:
 * link(2) of a synced temporary file fails with EEXIST rather than replace.
 * Returns false when the file already existed (and leaves it unchanged).
 *
 * @example
 * if (!(await createFileExclusive(keyPath, json))) { // someone else created it first: read theirs }
 */
export async function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const tmp = await writeTemp(path, data)
  try {
    await link(tmp, path)
    await syncDirectory(dirname(path))
    return true
  } catch (e) {
    if (systemErrorCode(e) === 'EEXIST') return false
    throw ioError('create', path, e)
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

async function writeTemp(path: string, data: string | Uint8Array): Promise<string> {
  // Same directory as the target: rename and link are only atomic within one
  // filesystem. Random name + O_EXCL: a planted symlink cannot redirect it.
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let fh: FileHandle | undefined
  try {
    fh = await open(tmp, 'wx', 0o600)
    await fh.writeFile(data)
    // The data must be on disk before the name is, or a power cut could
    // leave the new name pointing at an empty file.
    await fh.sync()
    await fh.close()
    return tmp
  } catch (e) {
    await fh?.close().catch(() => undefined)
    await unlink(tmp).catch(() => undefined)
    throw ioError('write', path, e)
  }
}

/**
 * fsync the directory so a rename, link or new file in it is itself durable.
 *
 * @example
 * await syncDirectory(dirname(path))
 */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch (e) {
    // Some filesystems (FUSE, network mounts) refuse fsync on a directory;
    // the rename has still happened, only durability is weaker.
    const code = systemErrorCode(e)
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw e
  } finally {
    await fh.close()
  }
}

/**
 * Reads a JSON file of at most `maxBytes` bytes, or undefined when it does
 * not exist. WIT_DATA_INVALID when it is too large or not UTF-8 JSON.
 *
 * @example
 * const logs = await readJsonFile(join(dataDir, 'logs.json'), 1 << 20)
 */
export async function readJsonFile(path: string, maxBytes: number): Promise<unknown> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return undefined
    throw ioError('open', path, e)
  }
  let bytes: Buffer
  try {
    // read one byte more than allowed, so a file that grows under us is still bounded
    const buf = Buffer.alloc(maxBytes + 1)
    let total = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, total, buf.length - total, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > maxBytes) throw new WitnessError('WIT_DATA_INVALID', `${path} is larger than ${maxBytes} bytes`, { details: { path } })
    }
    bytes = buf.subarray(0, total)
  } catch (e) {
    if (e instanceof WitnessError) throw e
    throw ioError('read', path, e)
  } finally {
    await fh.close()
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
  } catch (e) {
    throw new WitnessError('WIT_DATA_INVALID', `${path} is not valid UTF-8 JSON`, { cause: e, details: { path } })
  }
}
