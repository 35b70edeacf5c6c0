/**
 * An append-only JSON-lines file with a size bound: what refusals.jsonl
 * and the per-origin reports files share.
 *
 * Guarantees: appends are serialised (one queue per file), so lines never
 * interleave and a line is written whole or not at all by this process;
 * the file never grows past `maxBytes` by more than one line. What
 * happens at the bound is the owner's choice: `stop` keeps the file and
 * drops further lines unless they are `forced` (evidence worth keeping),
 * `rotate` renames the file to `<path>.1` (replacing the previous old file,
 * so at most two files exist) and starts a new one. With `durable`, an
 * append resolves only once the line is on disk (fsync of the file, and of
 * the directory when the file was created or rotated).
 *
 * Trusts: the data directory. Lines are the caller's JSON, one per call.
 */
import { open, rename, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ioError, systemErrorCode } from '../errors.js'
import { syncDirectory } from './atomic-file.js'

/** How a JsonlFile behaves. */
export interface JsonlFileOptions {
  readonly path: string
  /** The size bound, in bytes. */
  readonly maxBytes: number
  /** At the bound: stop growing (forced lines still go in), or rotate to `<path>.1`. */
  readonly whenFull: 'stop' | 'rotate'
  /** fsync every append before it resolves. */
  readonly durable: boolean
}

/** Where an append went. */
export interface Appended {
  readonly written: boolean
  readonly rotated: boolean
  /** Byte offset of the line in the (current) file. */
  readonly offset: number
  /** Its length in bytes, newline included (0 when not written). */
  readonly length: number
}

/** One bounded JSON-lines file. */
export class JsonlFile {
  readonly #o: JsonlFileOptions
  #size: number | undefined
  #tail: Promise<unknown> = Promise.resolve()

  constructor(options: JsonlFileOptions) {
    this.#o = options
  }

  /** The file's path. */
  get path(): string {
    return this.#o.path
  }

  /** The path of the previous file once rotated. */
  get oldPath(): string {
    return `${this.#o.path}.1`
  }

  /**
   * Appends `value` as one JSON line, after every earlier append. Resolves
   * with where the line went (`written` false when dropped at the bound,
   * `stop` files only; `rotated` when the file was rotated first; the byte
   * `offset` and `length` of the line in the current file); rejects with
   * WIT_IO when the file cannot be written.
   *
   * @example
   * const { offset } = await file.append({ seq: 1, origin: 'palisade/acme' })
   */
  append(value: unknown, forced = false): Promise<Appended> {
    const line = JSON.stringify(value) + '\n'
    const run = async (): Promise<Appended> => {
      const bytes = Buffer.byteLength(line)
      let size = (this.#size ??= await currentSize(this.#o.path))
      let created = size === 0
      let rotated = false
      if (size > 0 && size + bytes > this.#o.maxBytes) {
        if (this.#o.whenFull === 'stop') {
          if (!forced) return { written: false, rotated, offset: size, length: 0 }
        } else {
          try {
            await rename(this.#o.path, this.oldPath)
          } catch (e) {
            throw ioError('rotate', this.#o.path, e)
          }
          this.#size = size = 0
          created = rotated = true
        }
      }
      await this.#write(line, created)
      this.#size = size + bytes
      return { written: true, rotated, offset: size, length: bytes }
    }
    const result = this.#tail.then(run, run)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves when every append so far has finished (written, dropped or failed). */
  async flush(): Promise<void> {
    await this.#tail
  }

  async #write(line: string, created: boolean): Promise<void> {
    const path = this.#o.path
    try {
      const fh = await open(path, 'a', 0o600)
      try {
        await fh.write(line)
        if (this.#o.durable) await fh.sync()
      } finally {
        await fh.close()
      }
      // A new name is only durable once its directory is.
      if (this.#o.durable && created) await syncDirectory(dirname(path))
    } catch (e) {
      // The size is unknown after a failed write: read it again next time.
      this.#size = undefined
      throw ioError('append to', path, e)
    }
  }
}

async function currentSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return 0
    throw ioError('stat', path, e)
  }
}
