/**
 * In-process notifications of what changed in an org, for the console's
 * live view (GET /v1/orgs/:org/events). An event carries only a kind and
 * an id, never data: a listener refetches through the authorised API, so
 * this channel can leak nothing the caller could not read anyway, and a
 * lost event costs at most a stale screen until the next one.
 *
 * Scope: one server node's streams. Across nodes, the gateway's
 * BusOrgEvents carries them over the message bus (gateway/bus-org-events.ts),
 * and each node announces on its own streams the `online` changes no
 * connection event carries: another node's heartbeat turning stale
 * (presence/node-presence.ts).
 */

/** What changed. */
export type OrgEventKind = 'device' | 'command' | 'alert' | 'log'

/** One notification: `id` is the device or command id when there is one. */
export interface OrgEvent {
  readonly kind: OrgEventKind
  readonly id?: string
}

/** A subscriber; it must not throw (a throw is caught and dropped). */
export type OrgEventListener = (event: OrgEvent) => void

/** Subscribers beyond this many (over all orgs) are refused: each is an open stream. */
export const MAX_SUBSCRIBERS = 10_000
/** Open streams one org may hold: one org's callers cannot take the whole server's share. */
export const MAX_SUBSCRIBERS_PER_ORG = 500
/** Open streams one principal (a session or an API key) may hold: a console needs a few tabs, not thousands. */
export const MAX_SUBSCRIBERS_PER_PRINCIPAL = 8

/** Which cap refused a subscription. */
export type SubscribeRefusal = 'server' | 'org' | 'principal'

/** Caps of one hub (defaults: the constants above). */
export interface OrgEventsLimits {
  readonly total?: number
  readonly perOrg?: number
  readonly perPrincipal?: number
}

/**
 * The per-org publish/subscribe hub of one server. Subscriptions are
 * bounded three ways (server, org, principal), so that one read-only key
 * cannot take every stream slot.
 *
 * @example
 * const events = new OrgEvents()
 * const sub = events.subscribe('acme', (e) => console.log(e.kind, e.id), 'key:k1')
 * events.emit('acme', { kind: 'device', id: 'dev-1' })
 * if (typeof sub === 'function') sub()
 */
export class OrgEvents {
  readonly #byOrg = new Map<string, Set<OrgEventListener>>()
  readonly #byPrincipal = new Map<string, number>()
  readonly #limits: Required<OrgEventsLimits>
  #count = 0

  constructor(limits: OrgEventsLimits = {}) {
    this.#limits = {
      total: limits.total ?? MAX_SUBSCRIBERS,
      perOrg: limits.perOrg ?? MAX_SUBSCRIBERS_PER_ORG,
      perPrincipal: limits.perPrincipal ?? MAX_SUBSCRIBERS_PER_PRINCIPAL,
    }
  }

  /**
   * Adds `listener` for `org` on behalf of `principal` (a stable id of the
   * credential); returns the unsubscribe function, or which cap is full.
   */
  subscribe(org: string, listener: OrgEventListener, principal: string): (() => void) | SubscribeRefusal {
    if (this.#count >= this.#limits.total) return 'server'
    if ((this.#byOrg.get(org)?.size ?? 0) >= this.#limits.perOrg) return 'org'
    const held = this.#byPrincipal.get(principal) ?? 0
    if (held >= this.#limits.perPrincipal) return 'principal'
    let set = this.#byOrg.get(org)
    if (set === undefined) this.#byOrg.set(org, (set = new Set()))
    // one listener object per subscription, so the same function may subscribe twice
    const entry: OrgEventListener = (e) => listener(e)
    set.add(entry)
    this.#byPrincipal.set(principal, held + 1)
    this.#count++
    let done = false
    return () => {
      if (done) return
      done = true
      this.#count--
      set.delete(entry)
      if (set.size === 0 && this.#byOrg.get(org) === set) this.#byOrg.delete(org)
      const left = (this.#byPrincipal.get(principal) ?? 1) - 1
      if (left <= 0) this.#byPrincipal.delete(principal)
      else this.#byPrincipal.set(principal, left)
    }
  }

  /** Tells every subscriber of `org`; never throws. */
  emit(org: string, event: OrgEvent): void {
    const set = this.#byOrg.get(org)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        listener(event)
      } catch {
        // a broken stream must not stop the gateway or the others
      }
    }
  }

  /** Number of subscribers, over all orgs. */
  get size(): number {
    return this.#count
  }
}
