/**
 * Crash-safe small files for the agent's pinned state (root, last checkpoint,
 * ran-command ledger).
 *
 * Guarantees: after `writeFileAtomic` resolves, the file holds the new bytes
 * and survives a power cut; if the process or machine dies at any earlier
 * point, the file holds the complete old bytes (or does not exist, if it did
 * not before). Readers never see a partial write. Concurrent writers leave
 * exactly one complete version (the last rename wins). Files are created with
 * mode 0600 because state files name keys and commands.
 *
 * Trusts: the local filesystem to implement rename(2) atomically within one
 * directory and to honour fsync(2), which POSIX local filesystems do.
 * A crash may leave a stray `.<name>.<random>.tmp` beside the file; it is
 * never read, and it is private (0600).
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { AgentError, isAgentError, systemErrorCode } from '../errors.js'

/**
 * Replaces `path` with `data` atomically and durably, with mode 0600.
 *
 * @example
 * await writeFileAtomic('/var/lib/palisade/state.json', JSON.stringify(state))
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  // Same directory as the target: rename(2) is only atomic within one filesystem.
  // Random name + O_EXCL ('wx'): two writers never share a temp file, and a
  // planted symlink at a predictable name cannot redirect the write.
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let fh: FileHandle | undefined
  try {
    fh = await open(tmp, 'wx', 0o600)
    await fh.chmod(0o600) // the umask can only remove bits, but be explicit about the result
    await fh.writeFile(data)
    // Data must be on disk before the rename is, or a power cut could leave the
    // new name pointing at an empty file (the classic ext4 delayed-allocation bug).
    await fh.sync()
    await fh.close()
    fh = undefined
    await rename(tmp, path)
    await syncDirectory(dir)
  } catch (e) {
    await fh?.close().catch(() => undefined)
    await unlink(tmp).catch(() => undefined)
    throw new AgentError('AGENT_FILE_WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    })
  }
}

/** fsync the directory so the rename itself (a directory entry change) is durable. */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch (e) {
    // Some filesystems (certain FUSE and network mounts) refuse fsync on a
    // directory; the rename has still happened, so only durability is weaker.
    const code = systemErrorCode(e)
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw e
  } finally {
    await fh.close()
  }
}

/**
 * Reads a JSON file of at most `maxBytes` bytes (strict UTF-8) and passes the
 * parsed value to `parse`, which validates it into a typed value.
 *
 * Errors: AGENT_FILE_MISSING, AGENT_FILE_TOO_LARGE, AGENT_FILE_READ_FAILED,
 * AGENT_JSON_INVALID (not UTF-8 or not JSON), AGENT_FILE_INVALID (`parse`
 * threw a non-AgentError; an AgentError thrown by `parse` passes through).
 * Every error names the file in its message and in `details.path`.
 *
 * @example
 * const state = await readJsonFile(path, 1 << 20, (v) => assertState(v))
 */
export async function readJsonFile<T>(path: string, maxBytes: number, parse: (value: unknown) => T): Promise<T> {
  const bytes = await readBounded(path, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
  } catch (e) {
    throw new AgentError('AGENT_JSON_INVALID', `${path} is not valid UTF-8 JSON: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    })
  }
  try {
    return parse(value)
  } catch (e) {
    if (isAgentError(e)) throw e
    throw new AgentError('AGENT_FILE_INVALID', `${path}: ${(e as Error).message}`, { cause: e, details: { path } })
  }
}

/** Reads at most maxBytes + 1 bytes, so a file that grows under us is still bounded. */
async function readBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    const code = systemErrorCode(e) === 'ENOENT' ? 'AGENT_FILE_MISSING' : 'AGENT_FILE_READ_FAILED'
    throw new AgentError(code, `cannot open ${path}: ${(e as Error).message}`, { cause: e, details: { path } })
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) {
      throw new AgentError('AGENT_FILE_READ_FAILED', `${path} is not a regular file`, { details: { path } })
    }
    const size = st.size
    const tooLarge = (): AgentError =>
      new AgentError('AGENT_FILE_TOO_LARGE', `${path} is larger than ${maxBytes} bytes`, { details: { path, maxBytes } })
    if (size > maxBytes) throw tooLarge()
    // Read until EOF rather than trusting the stat size: a file replaced or
    // grown under us is still bounded, and is never returned cut short.
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.alloc(Math.min(Math.max(size - total, 0) + 1, maxBytes + 1 - total, 1 << 20))
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      chunks.push(chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) throw tooLarge()
    }
    return Buffer.concat(chunks, total)
  } catch (e) {
    if (isAgentError(e)) throw e
    throw new AgentError('AGENT_FILE_READ_FAILED', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    })
  } finally {
    await fh.close()
  }
}
