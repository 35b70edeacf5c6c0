/**
 * The report spool: signed results, rejections and alerts the server has not yet
 * acknowledged, one file each, so that no report is lost to a dropped
 * connection, a restart or a crash (G6: a rejection raised while the server
 * is unreachable still reaches it later).
 *
 * Guarantees: `add` resolves only once the report is durably on disk
 * (writeFileAtomic); entries keep their order across restarts (a sequence
 * number leads the file name); an entry leaves the spool only through
 * `remove`, which the runtime calls when the server acks its command id.
 * The spool is indexed in memory at start and never polled.
 *
 * Bound: at most `maxEntries` reports. When full, rejections are no longer
 * spooled (they stay in the local rejection or alert log) but results always are:
 * results need a quorum-signed command each, so a hostile server that
 * withholds acks can grow the spool only by what the admins signed, while
 * it could otherwise fill the disk with rejections of its own garbage.
 *
 * File name: `<seq, 12 digits>.<result|rejection|alert>.<commandId or _>.json`;
 * content: `{ "kind", "commandId", "envelope" }` (envelope = DSSE JSON text).
 */
import { readdir, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ID_RE } from '@palisade/protocol'
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.js'
import { systemErrorCode } from '../errors.js'

/** What a spooled report is. */
export type ReportKind = 'result' | 'rejection' | 'alert'

/** One spooled report, as indexed in memory (the envelope stays on disk). */
export interface SpoolEntry {
  readonly name: string
  readonly seq: number
  readonly kind: ReportKind
  readonly commandId: string | null
}

/** Default bound on spooled reports. */
export const SPOOL_MAX_ENTRIES = 10_000
const ENTRY_MAX_BYTES = 8 * 1024 * 1024
const NAME_RE = /^(\d{12})\.(result|rejection|alert)\.([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_)\.json$/

/** The on-disk spool of one state directory. */
export class Spool {
  readonly dir: string
  readonly maxEntries: number
  #entries: SpoolEntry[]
  #nextSeq: number

  private constructor(dir: string, entries: SpoolEntry[], maxEntries: number) {
    this.dir = dir
    this.maxEntries = maxEntries
    this.#entries = entries
    this.#nextSeq = entries.length === 0 ? 1 : entries[entries.length - 1]!.seq + 1
  }

  /**
   * Indexes the spool directory. Stray temp files of an interrupted write
   * are removed; files with names it did not write are left alone.
   *
   * @example
   * const spool = await Spool.open('/var/lib/palisade-agent/spool')
   */
  static async open(dir: string, maxEntries = SPOOL_MAX_ENTRIES): Promise<Spool> {
    for (const name of await readdir(dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined)
    }
    return new Spool(dir, await Spool.list(dir), maxEntries)
  }

  /** The spooled reports in `dir`, oldest first, without opening or changing anything. */
  static async list(dir: string): Promise<SpoolEntry[]> {
    const entries: SpoolEntry[] = []
    for (const name of await readdir(dir)) {
      const m = NAME_RE.exec(name)
      if (m !== null) entries.push(Object.freeze({ name, seq: Number(m[1]), kind: m[2] as ReportKind, commandId: m[3] === '_' ? null : m[3]! }))
    }
    return entries.sort((a, b) => a.seq - b.seq)
  }

  /** Spooled reports, oldest first (a snapshot). */
  entries(): readonly SpoolEntry[] {
    return [...this.#entries]
  }

  get size(): number {
    return this.#entries.length
  }

  /** True when a report of this kind for this command is waiting for its ack. */
  has(kind: ReportKind, commandId: string): boolean {
    return this.#entries.some((e) => e.kind === kind && e.commandId === commandId)
  }

  /**
   * Writes a report durably and indexes it; returns null (and writes
   * nothing) when the spool is full and the report is a rejection or an alert.
   */
  async add(kind: ReportKind, commandId: string | null, envelope: string): Promise<SpoolEntry | null> {
    if (kind !== 'result' && this.#entries.length >= this.maxEntries) return null
    if (commandId !== null && !ID_RE.test(commandId)) commandId = null
    const seq = this.#nextSeq++
    const name = `${String(seq).padStart(12, '0')}.${kind}.${commandId ?? '_'}.json`
    await writeFileAtomic(join(this.dir, name), JSON.stringify({ kind, commandId, envelope }))
    const entry = Object.freeze({ name, seq, kind, commandId })
    this.#entries.push(entry)
    return entry
  }

  /**
   * The envelope of a spooled report, or null when the entry is gone. A
   * file that no longer parses is renamed to `<name>.corrupt` (kept as
   * evidence) and dropped from the index.
   */
  async read(entry: SpoolEntry): Promise<string | null> {
    if (!this.#entries.includes(entry)) return null
    const path = join(this.dir, entry.name)
    try {
      return await readJsonFile(path, ENTRY_MAX_BYTES, (v) => {
        const o = v as { kind?: unknown; envelope?: unknown }
        if (o === null || typeof o !== 'object' || o.kind !== entry.kind || typeof o.envelope !== 'string') throw new Error('not a spooled report')
        return o.envelope
      })
    } catch {
      this.#drop(entry)
      await rename(path, `${path}.corrupt`).catch(() => undefined)
      return null
    }
  }

  /**
   * The entry an ack for `commandId` settles: the oldest for that command,
   * preferring one that `sent` says went out on the current connection.
   */
  findForAck(commandId: string | null, sent?: (e: SpoolEntry) => boolean): SpoolEntry | undefined {
    const matching = this.#entries.filter((e) => e.commandId === commandId)
    return (sent === undefined ? undefined : matching.find(sent)) ?? matching[0]
  }

  /** Deletes a report (after its ack). */
  async remove(entry: SpoolEntry): Promise<void> {
    this.#drop(entry)
    try {
      await unlink(join(this.dir, entry.name))
    } catch (e) {
      if (systemErrorCode(e) !== 'ENOENT') throw e
    }
  }

  #drop(entry: SpoolEntry): void {
    this.#entries = this.#entries.filter((e) => e !== entry)
  }
}
