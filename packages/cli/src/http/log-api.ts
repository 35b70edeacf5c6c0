/**
 * Log routes (docs/WIRE.md "Log"): checkpoints and entries, downloaded as
 * they are, for audit/audit-log.ts to verify without trusting the server.
 * Nothing here interprets what it downloads beyond its shape.
 */
import type { OrgSession } from './session.js'
import { array, base64, integer, object, string } from './shape.js'

/** A published cosigned checkpoint note, and the size the server lists it under. */
export interface ListedCheckpoint {
  readonly size: number
  readonly note: string
}

/** A log entry: its index, the server's label, and the exact leaf bytes. */
export interface LogEntry {
  readonly index: number
  readonly kind: string
  readonly data: Uint8Array
}

/** The most entries one page request asks for (the API allows 1000). */
export const ENTRIES_PAGE = 250
const NOTE_MAX = 1 << 20

/** `GET /v1/orgs/:org/log/checkpoint`: the latest cosigned checkpoint note. */
export function getLatestCheckpoint(s: OrgSession): Promise<string> {
  return s.api.get(s.path('/log/checkpoint'), (b) => string(object(b, 'answer')['note'], 'note', undefined, NOTE_MAX))
}

/** `GET /v1/orgs/:org/log/checkpoints`: every published checkpoint, by size. */
export function listCheckpoints(s: OrgSession): Promise<ListedCheckpoint[]> {
  return s.api.get(
    s.path('/log/checkpoints'),
    (b) =>
      array(object(b, 'answer')['checkpoints'], 'checkpoints', (x, w) => {
        const o = object(x, w)
        return { size: integer(o['size'], `${w}.size`), note: string(o['note'], `${w}.note`, undefined, NOTE_MAX) }
      }),
    { maxResponseBytes: 256 * 1024 * 1024 },
  )
}

/** `GET /v1/orgs/:org/log/entries?start=&end=` (end exclusive). */
export function getEntries(s: OrgSession, start: number, end: number): Promise<LogEntry[]> {
  return s.api.get(
    s.path('/log/entries'),
    (b) =>
      array(object(b, 'answer')['entries'], 'entries', (x, w) => {
        const o = object(x, w)
        return { index: integer(o['index'], `${w}.index`), kind: string(o['kind'], `${w}.kind`, undefined, 64), data: base64(o['data'], `${w}.data`) }
      }, 1000),
    { query: { start, end }, maxResponseBytes: 512 * 1024 * 1024, timeoutMs: 120_000 },
  )
}

/**
 * Every entry from `start` on, page by page, until a page comes back empty
 * (or `until`, when given, is reached). Pages that come back short are
 * continued from where they stopped; indices are kept as the server sent
 * them, for the audit to check.
 *
 * @example
 * const entries = await downloadEntries(session, 0)
 */
export async function downloadEntries(s: OrgSession, start: number, until?: number, onPage?: (count: number) => void): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  let next = start
  for (;;) {
    const end = until === undefined ? next + ENTRIES_PAGE : Math.min(until, next + ENTRIES_PAGE)
    if (end <= next) break
    const page = await getEntries(s, next, end)
    if (page.length === 0) break
    out.push(...page)
    onPage?.(out.length)
    // a page longer than asked, or one that does not move forward, is
    // kept for the audit to report, but paging stops
    if (page.length > end - next) break
    next += page.length
  }
  return out
}
