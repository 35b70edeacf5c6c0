/**
 * Durations on the command line: `90` (seconds), `30s`, `5m`, `24h`, `7d`,
 * `2w`, or a sum such as `1h30m`. Every parser returns whole seconds and
 * refuses, with CLI_ARG_INVALID, anything outside the bounds the option
 * names, so a typo never becomes a year-long validity window.
 */
import { CliError } from '../errors.js'
import { quote } from '../validate.js'

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 }
const DURATION = /^(?:\d{1,9}|(?:\d{1,9}[smhdw])+)$/

/**
 * Parses a duration into seconds; undefined when `text` is not one.
 *
 * @example
 * durationSeconds('1h30m') // 5400
 * durationSeconds('90')    // 90
 */
export function durationSeconds(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined
  if (/^\d+$/.test(text)) return Number(text)
  let total = 0
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!
  return Number.isSafeInteger(total) ? total : undefined
}

/**
 * A commander parser for a duration option bounded to [min, max] seconds.
 *
 * @example
 * new Option('--ttl <duration>', 'token lifetime').argParser(durationOption('--ttl', 60, 7 * 86400))
 */
export function durationOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const s = durationSeconds(value.trim())
    if (s === undefined) {
      throw new CliError('CLI_ARG_INVALID', `invalid ${name} ${quote(value)}: give a duration such as 90s, 5m, 24h, 7d or 1h30m`)
    }
    if (s < min || s > max) {
      throw new CliError('CLI_ARG_INVALID', `invalid ${name} ${quote(value)}: it must be from ${formatDuration(min)} to ${formatDuration(max)}`)
    }
    return s
  }
}

/**
 * Seconds as the largest units that divide them, for messages.
 *
 * @example
 * formatDuration(5400) // '1h30m'
 */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s'
  let rest = seconds
  let out = ''
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) out += `${n}${unit}`
    rest -= n * size
  }
  return out
}

/**
 * A commander parser for a whole number bounded to [min, max].
 *
 * @example
 * new Option('--uses <n>', 'how many devices may enroll').argParser(integerOption('--uses', 1, 10000))
 */
export function integerOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new CliError('CLI_ARG_INVALID', `invalid ${name} ${quote(value)}: give a whole number from ${min} to ${max}`)
    }
    return Number(value)
  }
}

/**
 * Parses a point in time given on the command line: `now`, `+<duration>`
 * from now, Unix seconds, or an ISO 8601 date-time with a time zone
 * (`2025-01-31T12:00:00Z`). Returns Unix seconds.
 *
 * @example
 * parseTime('+10m', 1000) // 1600
 */
export function parseTime(value: string, now: number, name = '--not-before'): number {
  const v = value.trim()
  const invalid = (): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid ${name} ${quote(value)}: give now, +DURATION (e.g. +10m), Unix seconds, or an ISO 8601 time with a zone (2025-01-31T12:00:00Z)`)
  }
  if (v === 'now') return now
  if (v.startsWith('+')) return now + (durationSeconds(v.slice(1)) ?? invalid())
  if (/^\d{1,12}$/.test(v)) return Number(v)
  // a zone is required: a time without one means different instants on different machines
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return invalid()
  const ms = Date.parse(v)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : invalid()
}
