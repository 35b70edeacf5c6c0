/**
 * The device reports a witness received, per log: reports/<SHA-256(origin)
 * hex>.jsonl, one JSON object a line, in order:
 *
 *     {"seq":7,"receivedAt":"<ISO 8601>","origin":"palisade/acme","deviceId":"d1",
 *      "envelope":"<DSSE JSON text>","source":"10.0.0.7"}
 *
 * A file the operator pruned (store/report-prune.ts) starts with one marker
 * line instead, `{"prunedThrough":12,"prunedAt":"<ISO 8601>","archive":"…"}`:
 * reports up to that seq were moved to reports-archive/ and numbering goes
 * on after it.
 *
 * Guarantees: `seq` increases by one per stored report of an origin
 * (a report whose write failed leaves a gap, never a repeat), across
 * restarts and prunes; `append` resolves only once the line is on disk
 * (fsync), so a 202 is never answered for a report a crash could lose.
 * Evidence is never deleted to make room: each log has a byte budget, and a
 * report that would pass it is refused (WIT_REPORT_STORE_FULL, no seq
 * used) while everything stored stays served; only the operator frees space
 * (`palisade witness reports prune`). A line torn by a crash is cut off at
 * the next start rather than glued to the next report. Reads page by seq
 * through an in-memory index of line offsets, never scanning the files.
 * A `<file>.1` left by earlier versions (which rotated) is still served and
 * counts against the budget.
 *
 * Trusts: the data directory, and the caller to store only reports it
 * validated, for witnessed origins.
 */
import { open, truncate } from 'node:fs/promises'
import { ioError, systemErrorCode, WitnessError } from '../errors.js'
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

/** Default byte budget of one log's reports. */
export const REPORTS_BUDGET_BYTES = 256 * 1024 * 1024

/** Smallest budget accepted: one report of the largest size fits. */
export const MIN_REPORTS_BUDGET_BYTES = 128 * 1024

interface IndexEntry {
  readonly seq: number
  readonly old: boolean
  readonly offset: number
  readonly length: number
}

interface OriginReports {
  readonly file: JsonlFile
  /** Bytes of the legacy `<file>.1`, counted against the budget. */
  readonly oldBytes: number
  readonly index: IndexEntry[]
  lastSeq: number
}

/** What one line of a reports file is. */
export type ReportLine = { readonly seq: number } | { readonly prunedThrough: number } | undefined

/** The reports files of one data directory. */
export class ReportLog {
  readonly #paths: DataPaths
  readonly #budget: number
  readonly #origins = new Map<string, Promise<OriginReports>>()
  readonly #mutex = new KeyedMutex()

  constructor(paths: DataPaths, budgetBytes = REPORTS_BUDGET_BYTES) {
    this.#paths = paths
    this.#budget = budgetBytes
  }

  /** The byte budget of each log's reports. */
  get budget(): number {
    return this.#budget
  }

  /**
   * Stores a report durably and returns it with its seq. WIT_REPORT_STORE_FULL
   * (details: bytes, budget, lastSeq) when it would pass the log's budget:
   * nothing is written and no seq is used.
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
      if (!at.written) {
        o.lastSeq = record.seq - 1 // nothing written, nothing to skip (we hold the origin's turn)
        const bytes = o.oldBytes + at.offset
        throw new WitnessError('WIT_REPORT_STORE_FULL', `the reports of ${JSON.stringify(report.origin)} take ${bytes} of their ${this.#budget} bytes: no room for another`, {
          details: { bytes, budget: this.#budget, lastSeq: o.lastSeq },
        })
      }
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
        const path = old ? legacyPath(o.file.path) : o.file.path
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
    const path = reportsPath(this.#paths, origin)
    const index: IndexEntry[] = []
    let prunedThrough = 0
    let oldBytes = 0
    for (const old of [true, false]) {
      const at = old ? legacyPath(path) : path
      const bytes = await readReportsFile(at)
      if (bytes === undefined) continue
      if (old) oldBytes = bytes.length
      const end = bytes.lastIndexOf(0x0a) + 1
      if (end < bytes.length && !old) {
        // A line torn by a crash: cut it off, or the next report would be glued to it.
        await truncate(at, end).catch((e: unknown) => {
          throw ioError('truncate', at, e)
        })
      }
      for (let offset = 0; offset < end; ) {
        const nl = bytes.indexOf(0x0a, offset)
        const line = parseReportLine(bytes.subarray(offset, nl))
        if (line !== undefined && 'prunedThrough' in line) prunedThrough = Math.max(prunedThrough, line.prunedThrough)
        else if (line !== undefined && (index.length === 0 || line.seq > index[index.length - 1]!.seq)) {
          index.push({ seq: line.seq, old, offset, length: nl + 1 - offset })
        }
        offset = nl + 1
      }
    }
    // A legacy file still on disk after a prune holds nothing to serve again.
    const kept = index.filter((e) => e.seq > prunedThrough)
    const file = new JsonlFile({ path, maxBytes: this.#budget - oldBytes, whenFull: 'stop', durable: true })
    return { file, oldBytes, index: kept, lastSeq: Math.max(prunedThrough, kept.at(-1)?.seq ?? 0) }
  }
}

/** The file earlier versions rotated reports to. */
export function legacyPath(path: string): string {
  return `${path}.1`
}

/**
 * What one line of a reports file is: a report (its seq), the prune marker,
 * or neither (undefined: a damaged line, skipped).
 *
 * @example
 * parseReportLine(Buffer.from('{"prunedThrough":12}')) // { prunedThrough: 12 }
 */
export function parseReportLine(line: Uint8Array): ReportLine {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(line).toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const { seq, prunedThrough } = v as { seq?: unknown; prunedThrough?: unknown }
  if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0) return { seq }
  if (typeof prunedThrough === 'number' && Number.isSafeInteger(prunedThrough) && prunedThrough >= 0) return { prunedThrough }
  return undefined
}

/**
 * The whole of a reports file, or undefined when it does not exist.
 *
 * @example
 * const bytes = await readReportsFile(reportsPath(paths, 'palisade/acme'))
 */
export async function readReportsFile(path: string): Promise<Buffer | undefined> {
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
