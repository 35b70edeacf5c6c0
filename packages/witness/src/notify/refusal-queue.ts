/**
 * The webhook's queue of `checkpoint.refused` events, kept apart from the
 * log events (cosigned, root verified) because anyone can cause a refusal:
 * a flood of junk POSTs to /add-checkpoint must never evict or delay the
 * events that tell the org about new log entries.
 *
 * Guarantees: at most `max` events wait; beyond, events become counts per
 * (code, origin, authenticated) instead of being dropped unseen: first the
 * refusals that prove nothing (no valid log signature: malformed bodies,
 * unknown logs, bad signatures), oldest first, then, only when every
 * waiting event is log-signed evidence, the incoming one. The counts go
 * out as one `checkpoint.refusals-coalesced` event once the waiting events
 * are delivered. At most `maxCounts` distinct keys are counted (origins of
 * unsigned requests are attacker-chosen); the rest add to a per-code count
 * without an origin. Memory is bounded by both.
 *
 * Trusts: the `authenticated` flag the cosigner set.
 */
import type { RefusedEvent } from './webhook.js'

/** How many refusals of one (code, origin, authenticated) were coalesced. */
export interface CoalescedCount {
  readonly code: string
  /** Absent when the origin was not known or the table of origins was full. */
  readonly origin?: string
  readonly authenticated: boolean
  readonly count: number
}

/** Refusals coalesced into counts because the refusal queue was full. */
export interface RefusalsCoalescedEvent {
  readonly type: 'checkpoint.refusals-coalesced'
  readonly witness: string
  readonly counts: readonly CoalescedCount[]
  /** When the first of them was coalesced. */
  readonly since: string
  readonly time: string
}

/** Distinct (code, origin, authenticated) counted at most by default. */
export const MAX_COALESCED_KEYS = 256

/** A bounded FIFO of refusal events that coalesces when full. */
export class RefusalQueue {
  readonly #max: number
  readonly #maxCounts: number
  readonly #events: RefusedEvent[] = []
  readonly #counts = new Map<string, { code: string; origin?: string; authenticated: boolean; count: number }>()
  #since: string | undefined
  #witness = ''
  #total = 0

  constructor(max: number, maxCounts = MAX_COALESCED_KEYS) {
    this.#max = Math.max(1, max)
    this.#maxCounts = Math.max(1, maxCounts)
  }

  /** Events waiting, counts included as one. */
  get length(): number {
    return this.#events.length + (this.#counts.size > 0 ? 1 : 0)
  }

  /** Refusals coalesced since the last summary went out (for the log). */
  get coalesced(): number {
    return this.#total
  }

  /**
   * Queues `event`, or counts it (or an older unsigned one) when full;
   * returns true when something was coalesced.
   *
   * @example
   * if (queue.push(event)) log.warn({ coalesced: queue.coalesced }, 'refusals coalesced')
   */
  push(event: RefusedEvent): boolean {
    if (this.#events.length < this.#max) {
      this.#events.push(event)
      return false
    }
    if (event.authenticated) {
      const junk = this.#events.findIndex((e) => !e.authenticated)
      if (junk >= 0) {
        this.#count(this.#events.splice(junk, 1)[0]!)
        this.#events.push(event)
        return true
      }
    }
    this.#count(event)
    return true
  }

  /**
   * The next event to deliver: the oldest waiting refusal, then the
   * summary of the coalesced ones (which resets the counts).
   */
  shift(): RefusedEvent | RefusalsCoalescedEvent | undefined {
    const next = this.#events.shift()
    if (next !== undefined) return next
    if (this.#counts.size === 0) return undefined
    const summary: RefusalsCoalescedEvent = {
      type: 'checkpoint.refusals-coalesced',
      witness: this.#witness,
      counts: [...this.#counts.values()].map((c) => ({ ...c })),
      since: this.#since ?? new Date().toISOString(),
      time: new Date().toISOString(),
    }
    this.#counts.clear()
    this.#since = undefined
    this.#total = 0
    return summary
  }

  /** Forgets everything waiting; returns how many refusals that was. */
  clear(): number {
    const n = this.#events.length + this.#total
    this.#events.length = 0
    this.#counts.clear()
    this.#total = 0
    return n
  }

  #count(e: RefusedEvent): void {
    this.#witness = e.witness
    this.#since ??= e.time
    this.#total++
    let origin = e.origin
    let key = JSON.stringify([e.code, origin ?? null, e.authenticated])
    if (!this.#counts.has(key) && this.#counts.size >= this.#maxCounts) {
      origin = undefined
      key = JSON.stringify([e.code, null, e.authenticated])
    }
    const c = this.#counts.get(key)
    if (c !== undefined) c.count++
    // A per-code key may exceed the bound by at most one per (code, flag): still bounded.
    else this.#counts.set(key, { code: e.code, ...(origin === undefined ? {} : { origin }), authenticated: e.authenticated, count: 1 })
  }
}
