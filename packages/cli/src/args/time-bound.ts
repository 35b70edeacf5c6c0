/**
 * The ends of a time window on the command line (`audit export --since
 * --until`): a calendar date `2023-06-27` (00:00 UTC that day), an ISO 8601
 * date-time with a zone (`2023-06-27T14:05:00Z`, `…+02:00`), a duration
 * back from now (`7d`, `12h`, `1h30m`: duration.ts), or `now`. Returns Unix
 * milliseconds, the unit of the audit API.
 *
 * A date-time without a zone is refused: it names different instants on
 * different machines, and a responder's timeline must not shift by the
 * offset of whoever ran the export.
 */
import { CliError } from '../errors.js'
import { quote } from '../validate.js'
import { durationSeconds } from './duration.js'

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/
/** 9999-12-31T23:59:59.999Z, the largest time the API accepts. */
const MAX_MS = 253402300799999

/**
 * Parses one end of a window into Unix milliseconds, or throws
 * CLI_ARG_INVALID naming `flag`.
 *
 * @example
 * parseTimeBound('2023-06-27', Date.now(), '--since') // 1687824000000
 * parseTimeBound('7d', 1_700_000_000_000, '--since')   // 1699395200000
 */
export function parseTimeBound(value: string, nowMs: number, flag: string): number {
  const v = value.trim()
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid ${flag} ${quote(value)}: ${why}`, {
      hint: `give a date (2023-06-27, midnight UTC), an ISO 8601 time with a zone (2023-06-27T14:05:00Z), a duration back from now (7d, 12h), or now`,
    })
  }
  if (v === 'now') return nowMs
  const date = DATE_RE.exec(v)
  if (date !== null) {
    if (!realDate(v)) return invalid('no such date')
    return Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]))
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const m = DATE_TIME_RE.exec(v)
    if (m === null) return invalid('an ISO 8601 time needs a zone (Z or +hh:mm) and no other text')
    const [h, min, sec] = [Number(v.slice(11, 13)), Number(v.slice(14, 16)), m[1] === undefined ? 0 : Number(v.slice(17, 19))]
    const day = v.slice(0, 10)
    // Engines roll 24:00 or 2023-02-30 over into the next day: refuse them.
    if (h > 23 || min > 59 || sec > 59 || !realDate(day)) {
      return invalid('no such time')
    }
    const ms = Date.parse(v)
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return invalid('no such time')
    return ms
  }
  const seconds = durationSeconds(v)
  if (seconds === undefined || /^\d+$/.test(v)) return invalid('not a date, a time, or a duration with a unit (s, m, h, d, w)')
  const ms = nowMs - seconds * 1000
  if (ms < 0) return invalid('reaches back before 1970')
  return ms
}

/** True when `day` (YYYY-MM-DD) is a calendar date: Date.UTC rolls 2023-02-30 over into March. */
function realDate(day: string): boolean {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const ms = Date.UTC(y, m - 1, d)
  return Number.isFinite(ms) && y >= 1970 && new Date(ms).toISOString().slice(0, 10) === day
}
