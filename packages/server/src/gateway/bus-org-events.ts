/**
 * The console's live events (events/org-events.ts) across server nodes: an
 * event emitted on one node reaches the streams open on every node,
 * through the bus. Events carry a kind and an id only, so the bus carries
 * nothing a console could not read anyway.
 */
import { SUBJECTS, type Bus } from '../bus/bus.js'
import { formatEvent } from '../bus/bus-messages.js'
import { OrgEvents, type OrgEvent } from '../events/org-events.js'

/**
 * OrgEvents whose `emit` also publishes to the other nodes; what arrives
 * from them is handed to local subscribers with {@link emitLocal}.
 *
 * @example
 * const events = new BusOrgEvents(bus, 'node-a')
 * events.emit('acme', { kind: 'device', id: 'dev-1' }) // here, and on every other node
 */
export class BusOrgEvents extends OrgEvents {
  readonly #bus: Bus
  readonly #node: string
  readonly #onPublish: () => void

  constructor(bus: Bus, node: string, onPublish: () => void = () => {}) {
    super()
    this.#bus = bus
    this.#node = node
    this.#onPublish = onPublish
  }

  override emit(org: string, event: OrgEvent): void {
    super.emit(org, event)
    this.#bus.publish(SUBJECTS.events, formatEvent({ node: this.#node, org, event }))
    this.#onPublish()
  }

  /** An event from another node: only the streams open here get it. */
  emitLocal(org: string, event: OrgEvent): void {
    super.emit(org, event)
  }
}
