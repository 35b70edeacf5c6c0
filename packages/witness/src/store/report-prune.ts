/**
 * Freeing a log's report budget on purpose: the operator moves the reports
 * up to a seq out of reports/ into reports-archive/, where the witness no
 * longer serves or counts them (`palisade witness reports prune`):
 *
 *     reports-archive/<SHA-256(origin) hex>.<first seq>-<through>.jsonl   the lines, byte for byte
 *     reports/<hex>.jsonl   {"prunedThrough":<through>,"prunedAt":…,"archive":…} then the reports after it
 *
 * Reports are archived, never deleted: removing the archive is a separate,
 * deliberate act of the operator.
 *
 * Guarantees: numbering stays continuous (the next report gets the seq
 * after the last one stored, even when every report was archived: the
 * marker line keeps the count); the archive is on disk (fsync) before the
 * reports file is replaced (write, fsync, rename, fsync dir), so a crash
 * at any point leaves every report in the reports file, the archive or
 * both (a repeated prune writes the same archive again). Damaged lines
 * (not JSON) go to the archive too; a line torn by a crash (never answered
 * 202) is dropped.
 *
 * Trusts: the caller to hold the data directory's lock (admin.ts), so no
 * running witness appends meanwhile.
 */
import { mkdir, unlink } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { ioError, systemErrorCode, WitnessError } from '../errors.js'
import { syncDirectory, writeFileAtomic } from './atomic-file.js'
import { reportsPath, type DataPaths } from './data-dir.js'
import { legacyPath, parseReportLine, readReportsFile } from './report-log.js'

/** What a prune did. */
export interface PrunedReports {
  readonly origin: string
  readonly through: number
  /** Reports moved to the archive (0: nothing to do). */
  readonly archived: number
  /** The archive file written (absolute), when something was archived. */
  readonly archive?: string
  /** Bytes the log's reports take less than before. */
  readonly freedBytes: number
  /** Reports still served. */
  readonly kept: number
  /** The seq the next report will get. */
  readonly nextSeq: number
}

/**
 * Moves the reports of `origin` with seq ≤ `through` to reports-archive/.
 * WIT_CONFIG when `through` is past the last stored report.
 *
 * @example
 * await pruneReportFiles(paths, 'palisade/acme', 1200, new Date()) // { archived: 1200, nextSeq: 1301, … }
 */
export async function pruneReportFiles(paths: DataPaths, origin: string, through: number, now: Date): Promise<PrunedReports> {
  const path = reportsPath(paths, origin)
  const archivedLines: Buffer[] = []
  const keptLines: Buffer[] = []
  let prunedThrough = 0
  let lastSeq = 0
  let firstArchived: number | undefined
  let before = 0
  let archived = 0
  for (const at of [legacyPath(path), path]) {
    const bytes = await readReportsFile(at)
    if (bytes === undefined) continue
    before += bytes.length
    const end = bytes.lastIndexOf(0x0a) + 1
    for (let offset = 0; offset < end; ) {
      const nl = bytes.indexOf(0x0a, offset)
      const raw = bytes.subarray(offset, nl + 1)
      offset = nl + 1
      const line = parseReportLine(raw.subarray(0, raw.length - 1))
      if (line === undefined) {
        if (raw.length > 1) archivedLines.push(raw) // damaged, but kept
      } else if ('prunedThrough' in line) {
        prunedThrough = Math.max(prunedThrough, line.prunedThrough)
      } else if (line.seq > prunedThrough) {
        lastSeq = Math.max(lastSeq, line.seq)
        if (line.seq <= through) {
          archivedLines.push(raw)
          archived++
          firstArchived ??= line.seq
        } else {
          keptLines.push(raw)
        }
      } // else: already archived by an earlier prune whose clean-up a crash interrupted
    }
  }
  lastSeq = Math.max(lastSeq, prunedThrough)
  if (through > lastSeq) {
    throw new WitnessError('WIT_CONFIG', `through ${through} is past the last report of ${JSON.stringify(origin)} (#${lastSeq})`, {
      details: { through, lastSeq },
    })
  }
  if (archivedLines.length === 0) {
    return Object.freeze({ origin, through, archived: 0, freedBytes: 0, kept: keptLines.length, nextSeq: lastSeq + 1 })
  }

  const archiveDir = join(paths.dir, 'reports-archive')
  try {
    await mkdir(archiveDir, { recursive: true, mode: 0o700 })
  } catch (e) {
    throw ioError('create', archiveDir, e)
  }
  const archive = join(archiveDir, `${basename(path, '.jsonl')}.${firstArchived ?? prunedThrough + 1}-${through}.jsonl`)
  await writeFileAtomic(archive, Buffer.concat(archivedLines))
  const marker = JSON.stringify({ prunedThrough: Math.max(through, prunedThrough), prunedAt: now.toISOString(), archive: relative(paths.dir, archive) }) + '\n'
  const rest = Buffer.concat([Buffer.from(marker, 'utf8'), ...keptLines])
  await writeFileAtomic(path, rest)
  try {
    await unlink(legacyPath(path))
    await syncDirectory(paths.reports)
  } catch (e) {
    if (systemErrorCode(e) !== 'ENOENT') throw ioError('remove', legacyPath(path), e)
  }
  return Object.freeze({ origin, through, archived, archive, freedBytes: before - rest.length, kept: keptLines.length, nextSeq: lastSeq + 1 })
}
