/**
 * One thing the monitor reports: a signed action it verified (a root
 * version, a command), a checkpoint, a device report, or an anomaly; and
 * how it is printed: one human line (time, kind, summary) or one JSON line.
 *
 * Guarantees: a human line is one line (newlines and control characters in
 * server- or device-supplied text are made visible); a JSON line is one
 * JSON object with `time` (ISO 8601), `kind`, `code` for anomalies,
 * `summary`, and the event's details.
 */
import type { JsonValue } from '../io/output.js'
import { printable } from '../io/output.js'
import type { MonitorAnomalyCode } from './anomaly-codes.js'

/** What an event is about. */
export type EventKind = 'root' | 'command' | 'checkpoint' | 'report' | 'anomaly' | 'error'

/** One event. */
export interface MonitorEvent {
  /** Unix milliseconds. */
  readonly time: number
  readonly kind: EventKind
  readonly code?: MonitorAnomalyCode
  readonly summary: string
  readonly details?: { readonly [k: string]: JsonValue }
}

/**
 * An anomaly event.
 *
 * @example
 * anomaly(Date.now(), 'MON_FORK', 'the log shrank from 9 to 7 entries', { from: 9, to: 7 })
 */
export function anomaly(time: number, code: MonitorAnomalyCode, summary: string, details?: { readonly [k: string]: JsonValue }): MonitorEvent {
  return Object.freeze({ time, kind: 'anomaly', code, summary, ...(details === undefined ? {} : { details }) })
}

/**
 * The event as printed: `<ISO time>  <CODE or KIND>  <summary>\n`, or one JSON line.
 *
 * @example
 * formatEvent(e, false) // '2025-01-01T00:00:00.000Z  MON_NEW_SIGNER  dave (key 3f1c…) signed a command for the first time\n'
 */
export function formatEvent(e: MonitorEvent, json: boolean): string {
  const time = new Date(e.time).toISOString()
  if (json) return JSON.stringify({ time, kind: e.kind, ...(e.code === undefined ? {} : { code: e.code }), summary: e.summary, ...(e.details ?? {}) }) + '\n'
  const label = e.code ?? e.kind.toUpperCase()
  return `${time}  ${label.padEnd(14)}  ${printable(e.summary.replace(/\s*\n\s*/g, ' '))}\n`
}
