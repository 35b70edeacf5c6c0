/**
 * The device reports a witness received, per log: reports/<SHA-256(origin)
 * hex>.jsonl, one JSON object a line, in order:
 *
 *     {"seq":7,"receivedAt":"<ISO 8601>","origin":"palisade/acme","deviceId":"d1",
 *      "envelope":"<DSSE JSON text>","source":"10.0.0.7"}
 *
 * Guarantees: `seq` increases by one per stored report of an origin
 * (a report whose write failed leaves a gap, never a repeat), across
 * restarts; `append` resolves only once the line is on disk (fsync), so a
 * 202 is never answered for a report a crash could lose; the file rotates
 * at `maxBytes` to `<file>.1`, keeping one old file, so the disk use per
 * log is bounded (about 2 × maxBytes). A line torn by a crash is cut off at
 * the next start rather than glued to the next report. Reads page by seq
 * through an in-memory index of line offsets, never scanning the files.
 *
 * Trusts: the data directory, and the caller to store only reports it
 * validated, for witnessed origins.
 */
import { open, truncate } from 'node:fs/promises'
import { ioError, systemErrorCode } from '../errors.js'
import { KeyedMutex } from '../keyed-mutex.js'
import { reportsPath, type DataPaths } from './data-dir.js'
import { JsonlFile } from './jsonl-file.js'

/** One stored report. */
export interface ReportRecord {
  readonly seq: number
  /** ISO 8601. */
  readonly receivedAt: string
  readonly origin: string
  readonly deviceId: string
  /** The device-signed DSSE envelope, JSON text as received. */
  readonly envelope: string
  /** The address it came from (kept for the operator; not served). */
  readonly source: string
}

/** Default size of one reports file before it rotates. */
export const REPORTS_FILE_BYTES = 16 * 1024 * 1024

interface IndexEntry {
  readonly seq: number
  readonly old: boolean
  readonly offset: number
  readonly length: number
}

interface OriginReports {
  readonly file: JsonlFile
  index: IndexEntry[]
  lastSeq: number
}

/** The reports files of one data directory. */
export class ReportLog {
  readonly #paths: DataPaths
  readonly #maxBytes: number
  readonly #origins = new Map<string, Promise<OriginReports>>()
  readonly #mutex = new KeyedMutex()

  constructor(paths: DataPaths, maxBytes = REPORTS_FILE_BYTES) {
    this.#paths = paths
    this.#maxBytes = maxBytes
  }

  /**
   * Stores a report durably and returns it with its seq.
   *
   * @example
   * const { seq } = await reports.append({ origin, deviceId, envelope, source: req.ip, receivedAt: new Date().toISOString() })
   */
  append(report: Omit<ReportRecord, 'seq'>): Promise<ReportRecord> {
    return this.#mutex.run(report.origin, async () => {
      const o = await this.#load(report.origin)
      const record: ReportRecord = {
        seq: o.lastSeq + 1,
        receivedAt: report.receivedAt,
        origin: report.origin,
        deviceId: report.deviceId,
        envelope: report.envelope,
        source: report.source,
      }
      o.lastSeq = record.seq // burnt even if the write fails: seqs never repeat
      const at = await o.file.append(record)
      if (at.rotated) o.index = o.index.filter((e) => !e.old).map((e) => ({ ...e, old: true }))
      o.index.push({ seq: record.seq, old: false, offset: at.offset, length: at.length })
      return Object.freeze(record)
    })
  }

  /**
   * Up to `limit` reports of `origin` with seq > `after`, in order.
   *
   * @example
   * const page = await reports.list('palisade/acme', 0, 100)
   */
  list(origin: string, after: number, limit: number): Promise<ReportRecord[]> {
    return this.#mutex.run(origin, async () => {
      const o = await this.#load(origin)
      let lo = 0
      let hi = o.index.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (o.index[mid]!.seq <= after) lo = mid + 1
        else hi = mid
      }
      const wanted = o.index.slice(lo, lo + limit)
      const out: ReportRecord[] = []
      for (const old of [true, false]) {
        const part = wanted.filter((e) => e.old === old)
        if (part.length === 0) continue
        const path = old ? o.file.oldPath : o.file.path
        const fh = await open(path, 'r').catch((e: unknown) => {
          throw ioError('open', path, e)
        })
        try {
          for (const e of part) {
            const buf = Buffer.alloc(e.length)
            await fh.read(buf, 0, e.length, e.offset)
            out.push(JSON.parse(buf.toString('utf8')) as ReportRecord)
          }
        } finally {
          await fh.close()
        }
      }
      return out
    })
  }

  #load(origin: string): Promise<OriginReports> {
    let loading = this.#origins.get(origin)
    if (loading === undefined) {
      loading = this.#read(origin)
      this.#origins.set(origin, loading)
      loading.catch(() => this.#origins.delete(origin)) // try again next time
    }
    return loading
  }

  async #read(origin: string): Promise<OriginReports> {
    const file = new JsonlFile({ path: reportsPath(this.#paths, origin), maxBytes: this.#maxBytes, whenFull: 'rotate', durable: true })
    const index: IndexEntry[] = []
    for (const old of [true, false]) {
      const path = old ? file.oldPath : file.path
      const bytes = await readAll(path)
      if (bytes === undefined) continue
      const end = bytes.lastIndexOf(0x0a) + 1
      if (end < bytes.length && !old) {
        // A line torn by a crash: cut it off, or the next report would be glued to it.
        await truncate(path, end).catch((e: unknown) => {
          throw ioError('truncate', path, e)
        })
      }
      for (let at = 0; at < end; ) {
        const nl = bytes.indexOf(0x0a, at)
        const seq = seqOf(bytes.subarray(at, nl))
        if (seq !== undefined && (index.length === 0 || seq > index[index.length - 1]!.seq)) {
          index.push({ seq, old, offset: at, length: nl + 1 - at })
        }
        at = nl + 1
      }
    }
    return { file, index, lastSeq: index.length === 0 ? 0 : index[index.length - 1]!.seq }
  }
}

function seqOf(line: Uint8Array): number | undefined {
  try {
    const seq = (JSON.parse(Buffer.from(line).toString('utf8')) as { seq?: unknown }).seq
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined
  } catch {
    return undefined
  }
}

async function readAll(path: string): Promise<Buffer | undefined> {
  try {
    const fh = await open(path, 'r')
    try {
      return await fh.readFile()
    } finally {
      await fh.close()
    }
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return undefined
    throw ioError('read', path, e)
  }
}
