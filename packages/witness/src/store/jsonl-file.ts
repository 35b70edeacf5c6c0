/**
 * An append-only JSON-lines file with a size bound: what refusals.jsonl
 * and the per-origin reports files share.
 *
 * Guarantees: appends are serialised (one queue per file), so lines never
 * interleave and a line is written whole or not at all by this process; a
 * line that would take the file past `maxBytes` is not written (the append
 * says so) unless it is `forced` (evidence worth keeping), so the file never
 * passes the bound but by forced lines. Nothing is ever rotated or deleted
 * to make room: what the file holds stays (the owner decides what a full
 * file means: refusals.jsonl drops diagnostics, the reports log refuses
 * the report). With `durable`, an append resolves only once the line is on
 * disk (fsync of the file, and of the directory when the file was created).
 *
 * Trusts: the data directory. Lines are the caller's JSON, one per call.
 */
import { open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ioError, systemErrorCode } from '../errors.js'
import { syncDirectory } from './atomic-file.js'

/** How a JsonlFile behaves. */
export interface JsonlFileOptions {
  readonly path: string
  /** The size bound, in bytes. */
  readonly maxBytes: number
  /** At the bound: stop growing (forced lines still go in). The only behaviour: evidence is never rotated away. */
  readonly whenFull: 'stop'
  /** fsync every append before it resolves. */
  readonly durable: boolean
}

/** Where an append went. */
export interface Appended {
  readonly written: boolean
  /** Byte offset of the line in the file (when not written: the file's size). */
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

  /**
   * Appends `value` as one JSON line, after every earlier append. Resolves
   * with where the line went (`written` false when it would pass the
   * bound and is not `forced`; the byte `offset` and `length` of the line);
   * rejects with WIT_IO when the file cannot be written.
   *
   * @example
   * const { written, offset } = await file.append({ seq: 1, origin: 'palisade/acme' })
   */
  append(value: unknown, forced = false): Promise<Appended> {
    const line = JSON.stringify(value) + '\n'
    const run = async (): Promise<Appended> => {
      const bytes = Buffer.byteLength(line)
      const size = (this.#size ??= await currentSize(this.#o.path))
      if (size + bytes > this.#o.maxBytes && !forced) return { written: false, offset: size, length: 0 }
      await this.#write(line, size === 0)
      this.#size = size + bytes
      return { written: true, offset: size, length: bytes }
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
