/**
 * The lines of `palisade audit export`, one per action, in three formats:
 *
 * - `jsonl`: one JSON object per line (the default for tools: `jq`, SIEMs);
 * - `json`: one JSON array of those objects, written element by element;
 * - `csv`: RFC 4180 with a header row; `devices` space-separated, `details`
 *   as JSON text.
 *
 * Forward compatibility: fields may be added at the end (CSV columns too);
 * none is renamed or removed. Every value comes from the server or the log,
 * so CSV cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
 * `@`, tab, CR first) are prefixed with `'` (OWASP "CSV injection"): a
 * username typed at a failed login must not become code on a responder's
 * machine.
 */

/** One action of the timeline. */
export interface TimelineLine {
  /** ISO 8601 UTC, milliseconds. */
  readonly time: string
  /** `audit`: the server's audit trail; `log`: a signed action of the transparency log, verified. */
  readonly source: 'audit' | 'log'
  /** The audit event id, or `log:<index>`. */
  readonly id: string
  readonly actorType: string
  readonly actorId: string | null
  readonly actorName: string | null
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  /** `success` | `failure` | `denied` (audit), `logged` (log). */
  readonly result: string
  readonly statusCode: number | null
  readonly sourceAddr: string | null
  readonly requestId: string | null
  /** The devices the action concerns: a command's targets, a device action's device. */
  readonly devices: readonly string[]
  readonly details: Readonly<Record<string, unknown>>
}

/** The export formats. */
export const FORMATS = ['jsonl', 'json', 'csv'] as const
export type Format = (typeof FORMATS)[number]

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  'time', 'source', 'id', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId',
  'result', 'statusCode', 'sourceAddr', 'requestId', 'devices', 'details',
] as const

/** Writes a timeline in one format: the text before the lines, each line, the text after. */
export interface TimelineFormatter {
  begin(): string
  line(l: TimelineLine): string
  end(): string
}

/**
 * The formatter of `format`.
 *
 * @example
 * const f = timelineFormatter('jsonl')
 * out.write(f.begin()); for (const l of lines) out.write(f.line(l)); out.write(f.end())
 */
export function timelineFormatter(format: Format): TimelineFormatter {
  switch (format) {
    case 'jsonl':
      return { begin: () => '', line: (l) => JSON.stringify(l) + '\n', end: () => '' }
    case 'json': {
      let count = 0
      return {
        begin: () => '[',
        line: (l) => (count++ === 0 ? '\n' : ',\n') + JSON.stringify(l),
        end: () => (count === 0 ? ']\n' : '\n]\n'),
      }
    }
    case 'csv':
      return { begin: () => CSV_COLUMNS.join(',') + '\r\n', line: csvLine, end: () => '' }
  }
}

/**
 * One CSV record (RFC 4180: CRLF, fields with `,` `"` CR LF quoted, `"` doubled).
 *
 * @example
 * csvLine(line) // '2023-06-27T10:00:00.000Z,audit,…\r\n'
 */
export function csvLine(l: TimelineLine): string {
  const cells: (string | number | null)[] = [
    l.time, l.source, l.id, l.actorType, l.actorId, l.actorName, l.action, l.targetType, l.targetId,
    l.result, l.statusCode, l.sourceAddr, l.requestId, l.devices.join(' '), JSON.stringify(l.details),
  ]
  return cells.map(csvCell).join(',') + '\r\n'
}

function csvCell(v: string | number | null): string {
  if (v === null) return ''
  if (typeof v === 'number') return String(v)
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
