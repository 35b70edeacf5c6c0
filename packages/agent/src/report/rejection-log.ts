/**
 * The local evidence logs: rejections.jsonl, one JSON line per delivery (or
 * pushed checkpoint) this device refused, with the signed rejection
 * envelope and the evidence protocol returned (for a fork: both
 * checkpoints); and alerts.jsonl, the same for every alert it raised
 * (AGENT_CHECKPOINT_STALE), with the signed alert envelope. It is written
 * before the rejection is sent, so the record exists even if the server
 * never hears of it (G6), and it is for the machine's owner: nothing
 * remote reads it.
 *
 * Bound: when the file passes `maxBytes` it is renamed to
 * rejections.jsonl.1 (replacing an older one) and a new file is started, so
 * a hostile server that sends garbage forever cannot fill the disk.
 */
import { open, rename, stat } from 'node:fs/promises'
import { toBase64 } from '@palisade/protocol'
import { systemErrorCode } from '../errors.js'

/** One line of the log. */
export interface RejectionRecord {
  /** Unix milliseconds. */
  readonly at: number
  readonly commandId: string | null
  readonly code: string
  readonly message: string
  readonly details?: Readonly<Record<string, unknown>> | undefined
  /** The signed palisade.rejection/v1 (or, in alerts.jsonl, palisade.alert/v1) DSSE envelope (JSON text). */
  readonly envelope: string
}

/** Default size at which the log rotates. */
export const REJECTION_LOG_MAX_BYTES = 16 * 1024 * 1024

/** An append-only, rotating JSON-lines file. */
export class RejectionLog {
  readonly path: string
  readonly maxBytes: number
  #size: number

  private constructor(path: string, size: number, maxBytes: number) {
    this.path = path
    this.#size = size
    this.maxBytes = maxBytes
  }

  /** Opens (without creating) the log at `path`. */
  static async open(path: string, maxBytes = REJECTION_LOG_MAX_BYTES): Promise<RejectionLog> {
    let size = 0
    try {
      size = (await stat(path)).size
    } catch (e) {
      if (systemErrorCode(e) !== 'ENOENT') throw e
    }
    return new RejectionLog(path, size, maxBytes)
  }

  /**
   * Appends one record and fsyncs it.
   *
   * @example
   * await log.append({ at: Date.now(), commandId, code: 'PROTO_SIG_THRESHOLD', message, envelope })
   */
  async append(record: RejectionRecord): Promise<void> {
    const line = `${JSON.stringify(record, (_k, v: unknown) => (v instanceof Uint8Array ? toBase64(v) : v))}\n`
    if (this.#size > 0 && this.#size + Buffer.byteLength(line) > this.maxBytes) {
      await rename(this.path, `${this.path}.1`)
      this.#size = 0
    }
    const fh = await open(this.path, 'a', 0o600)
    try {
      await fh.writeFile(line)
      await fh.sync()
    } finally {
      await fh.close()
    }
    this.#size += Buffer.byteLength(line)
  }
}
