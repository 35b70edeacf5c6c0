/**
 * refusals.jsonl: one JSON object per refused add-checkpoint request, in
 * order, appended and never rewritten:
 *
 *     {"time":"<ISO 8601>","ip":"…","code":"WIT_PROOF_INVALID","status":422,
 *      "origin":"palisade/acme","oldSize":5,"size":9,"storedSize":5,"note":"…"}
 *
 * Guarantees: a record never holds more of a request than a bounded
 * excerpt: `excerpt` (the first 512 bytes of the body) for requests no log
 * signed, `note` (the signed checkpoint, at most 8 KiB) once the log
 * signature verified, since then it is evidence of log misbehaviour
 * (tlog-witness: the witness "MAY log the request even if the consistency
 * proof doesn't verify"). Past `maxBytes` the file stops growing from
 * unauthenticated refusals, so a flood of junk cannot fill the disk;
 * signed evidence is still kept. Appends are serialised, so lines never
 * interleave. A failed append is reported, never thrown: the refusal is
 * still answered.
 *
 * Trusts: nothing in the record; every string is JSON-escaped.
 */
import { appendFile, stat } from 'node:fs/promises'
import { systemErrorCode } from '../errors.js'

/** One refusal. */
export interface RefusalRecord {
  readonly time: string
  readonly ip: string
  readonly code: string
  readonly status: number
  readonly origin?: string
  readonly oldSize?: number
  readonly size?: number
  readonly storedSize?: number
  readonly excerpt?: string
  readonly note?: string
}

/** Bounds on what one record keeps of a request. */
export const EXCERPT_BYTES = 512
export const NOTE_EVIDENCE_CHARS = 8 * 1024
export const ORIGIN_CHARS = 256

/** The append-only refusal log of one data directory. */
export class RefusalLog {
  readonly #path: string
  readonly #maxBytes: number
  readonly #onError: (e: unknown) => void
  #size: number | undefined
  #tail: Promise<void> = Promise.resolve()
  #dropped = 0

  constructor(path: string, onError: (e: unknown) => void, maxBytes = 64 * 1024 * 1024) {
    this.#path = path
    this.#onError = onError
    this.#maxBytes = maxBytes
  }

  /** How many unauthenticated records were skipped because the file was past its cap. */
  get dropped(): number {
    return this.#dropped
  }

  /**
   * Appends one record. `authenticated` records (signed by the log) are kept
   * even when the file is past its cap.
   *
   * @example
   * await refusals.append({ time, ip, code: 'WIT_LOG_UNKNOWN', status: 404, origin }, false)
   */
  append(record: RefusalRecord, authenticated: boolean): Promise<void> {
    const line = JSON.stringify(record) + '\n'
    const run = async (): Promise<void> => {
      try {
        const size = (this.#size ??= await currentSize(this.#path))
        if (!authenticated && size >= this.#maxBytes) {
          this.#dropped++
          return
        }
        await appendFile(this.#path, line, { mode: 0o600 })
        this.#size = size + Buffer.byteLength(line)
      } catch (e) {
        this.#onError(e)
      }
    }
    this.#tail = this.#tail.then(run)
    return this.#tail
  }

  /** Resolves when every append so far has finished. */
  flush(): Promise<void> {
    return this.#tail
  }
}

async function currentSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return 0
    throw e
  }
}

/**
 * The first EXCERPT_BYTES of a body as text (invalid UTF-8 replaced), for
 * a refusal record.
 *
 * @example
 * excerpt(body) // 'old 5\nAAAA…'
 */
export function excerpt(body: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, EXCERPT_BYTES))
}
