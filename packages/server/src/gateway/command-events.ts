/**
 * "Command X changed" for the console's live view, at most a few times a
 * second per command. A fan-out changes a command once per device sent
 * and once per device answered: 20,000 identical events (and as many bus
 * messages) for 10,000 devices, each one making every open console
 * refetch. Events only say "refetch" (events/org-events.ts), so one per
 * window carries the same news, provided one always comes after the last
 * change: the first change of a window is emitted at once, later ones
 * collapse into one emitted when the window ends.
 */
import type { OrgEvents } from '../events/org-events.js'

/** Window per command (ms). */
export const COMMAND_EVENT_WINDOW_MS = 100

/**
 * @example
 * const changed = new CommandEvents(events)
 * changed.emit('acme', 'cmd-1') // now
 * changed.emit('acme', 'cmd-1') // once, 100 ms later
 */
export class CommandEvents {
  readonly #events: OrgEvents
  readonly #windowMs: number
  /** Commands inside their window → whether a change is waiting for its end. */
  readonly #open = new Map<string, { org: string; id: string; again: boolean }>()

  constructor(events: OrgEvents, windowMs = COMMAND_EVENT_WINDOW_MS) {
    this.#events = events
    this.#windowMs = windowMs
  }

  emit(org: string, id: string): void {
    const key = `${org}/${id}`
    const open = this.#open.get(key)
    if (open !== undefined) {
      open.again = true
      return
    }
    this.#events.emit(org, { kind: 'command', id })
    const entry = { org, id, again: false }
    this.#open.set(key, entry)
    setTimeout(() => {
      this.#open.delete(key)
      if (entry.again) this.emit(org, id)
    }, this.#windowMs).unref()
  }
}
