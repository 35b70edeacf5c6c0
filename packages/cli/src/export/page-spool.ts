/**
 * Reverses a paged stream without holding it in memory. The audit API pages
 * newest first (keyset pages, stable while events arrive), but a responder's
 * timeline reads oldest first. Each page is appended to a private temporary
 * file as it arrives (one JSON value per line); reading then walks the pages
 * from the last to the first, and each page's lines backwards. Memory holds
 * one page plus two numbers per page; the file is removed when the reader
 * finishes, fails or is abandoned.
 */
import { constants, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A spool being written; `reversed()` reads it back, once. */
export interface PageSpool<T> {
  /** Appends one page (items in the order they came). */
  push(items: readonly T[]): Promise<void>
  /** Every item pushed, last page first, each page backwards; removes the file at the end. */
  reversed(): AsyncGenerator<T>
  /** Removes the file (idempotent); for a spool abandoned before `reversed()`. */
  discard(): Promise<void>
}

/**
 * Opens a spool in a new private directory under the system temp directory.
 *
 * @example
 * const spool = await openPageSpool<Event>()
 * for (const page of pagesNewestFirst) await spool.push(page)
 * for await (const e of spool.reversed()) emit(e) // oldest first
 */
export async function openPageSpool<T>(parent = tmpdir()): Promise<PageSpool<T>> {
  const dir = await fs.mkdtemp(join(parent, 'palisade-export-'))
  const path = join(dir, 'pages.jsonl')
  const handle = await fs.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600)
  const pages: { offset: number; length: number }[] = []
  let size = 0
  let closed = false
  const discard = async (): Promise<void> => {
    if (closed) return
    closed = true
    await handle.close().catch(() => undefined)
    await fs.rm(dir, { recursive: true, force: true })
  }
  return {
    async push(items) {
      if (items.length === 0) return
      const text = Buffer.from(items.map((i) => JSON.stringify(i)).join('\n') + '\n', 'utf8')
      await handle.write(text, 0, text.length, size)
      pages.push({ offset: size, length: text.length })
      size += text.length
    },
    async *reversed() {
      try {
        for (let p = pages.length - 1; p >= 0; p--) {
          const { offset, length } = pages[p]!
          const buf = Buffer.alloc(length)
          let read = 0
          while (read < length) {
            const { bytesRead } = await handle.read(buf, read, length - read, offset + read)
            if (bytesRead === 0) throw new Error('the export spool file was truncated')
            read += bytesRead
          }
          const lines = buf.toString('utf8').split('\n')
          lines.pop() // the empty text after the final newline
          for (let i = lines.length - 1; i >= 0; i--) yield JSON.parse(lines[i]!) as T
        }
      } finally {
        await discard()
      }
    },
    discard,
  }
}
