/**
 * What the agent says about itself while it runs: one line per event, for
 * the journal (systemd captures stderr) or a test. Never secrets: no key,
 * no token, no script text or output. Fields are small and printable.
 */

/** How much an event matters. */
export type LogLevel = 'info' | 'warn' | 'error'

/** The logger the runtime writes to. */
export interface AgentLogger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void
}

/** Drops everything. */
export const silentLogger: AgentLogger = Object.freeze({ log: () => undefined })

/**
 * A logger writing one line per event: `<level> <message> key=value …`, or
 * with `json`, one JSON object `{ time, level, message, …fields }`.
 *
 * @example
 * const logger = lineLogger((l) => process.stderr.write(l))
 */
export function lineLogger(write: (line: string) => void, json = false): AgentLogger {
  return Object.freeze({
    log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
      if (json) {
        write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`)
        return
      }
      const kv = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' && /^[\x21-\x7e]*$/.test(v) && !v.includes('"') ? v : JSON.stringify(v)}`)
        .join(' ')
      write(`${level} ${message}${kv === '' ? '' : ` ${kv}`}\n`.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' '))
    },
  })
}
