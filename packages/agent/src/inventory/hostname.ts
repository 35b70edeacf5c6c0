/**
 * The machine's host name, as the kernel reports it (gethostname(2)).
 *
 * Guarantees: never throws; null with a note when unavailable. This is the
 * name the machine calls itself, which it alone controls: the agent reports
 * it as a fact about the machine, never as an identity (the device key is).
 */
import { hostname } from 'node:os'
import { addNote, reasonOf, type SourceOptions } from './source.js'

/**
 * Returns the host name.
 *
 * @example
 * collectHostname() // 'web-01'
 */
export function collectHostname(opts: SourceOptions = {}): string | null {
  try {
    const name = hostname()
    if (name !== '') return name
    addNote(opts, 'hostname', 'empty')
  } catch (e) {
    addNote(opts, 'hostname', reasonOf(e))
  }
  return null
}
