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
import { JsonlFile } from './jsonl-file.js'

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
  readonly #file: JsonlFile
  readonly #onError: (e: unknown) => void
  #dropped = 0

  constructor(path: string, onError: (e: unknown) => void, maxBytes = 64 * 1024 * 1024) {
    // Refusals are diagnostics, not state: no fsync per line, and past the
    // cap the file keeps what it has (signed evidence still goes in).
    this.#file = new JsonlFile({ path, maxBytes, whenFull: 'stop', durable: false })
    this.#onError = onError
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
  async append(record: RefusalRecord, authenticated: boolean): Promise<void> {
    try {
      if (!(await this.#file.append(record, authenticated)).written) this.#dropped++
    } catch (e) {
      this.#onError(e)
    }
  }

  /** Resolves when every append so far has finished. */
  flush(): Promise<void> {
    return this.#file.flush()
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
