/**
 * Inventory on the wire (WIRE.md step 5): sent at every connect, then only
 * when its digest changes. Collection runs at most once at a time; a frame
 * larger than the gateway accepts is logged and not sent.
 */
import { inventoryDigest, type Inventory } from '../inventory/collect.js'
import type { GatewaySession } from './gateway-session.js'
import type { AgentLogger } from './logger.js'
import { MAX_FRAME_BYTES } from './wire.js'

/** Tracks what the server was last sent. */
export class InventoryReporter {
  readonly #collect: () => Promise<Inventory>
  readonly #logger: AgentLogger
  #session: GatewaySession | undefined
  #lastDigest: string | undefined
  #collecting = false

  constructor(collect: () => Promise<Inventory>, logger: AgentLogger) {
    this.#collect = collect
    this.#logger = logger
  }

  /** A new session: it gets the inventory whatever the last one got. */
  attach(session: GatewaySession): void {
    this.#session = session
    this.#lastDigest = undefined
    void this.report()
  }

  detach(session: GatewaySession): void {
    if (this.#session === session) this.#session = undefined
  }

  /** Collects, and sends when the digest differs from the last one sent. */
  async report(): Promise<void> {
    if (this.#collecting || this.#session === undefined) return
    this.#collecting = true
    try {
      const inventory = await this.#collect()
      const digest = inventoryDigest(inventory)
      // the session in force now, not when collection began
      const session = this.#session
      if (session === undefined || digest === this.#lastDigest) return
      const frame = { type: 'inventory', inventory, digest }
      if (Buffer.byteLength(JSON.stringify(frame)) > MAX_FRAME_BYTES) {
        this.#logger.log('warn', 'the inventory is larger than a gateway frame; not sent', {})
        return
      }
      if (await session.send(frame)) this.#lastDigest = digest
    } catch (e) {
      this.#logger.log('warn', 'inventory could not be collected', { error: (e as Error).message })
    } finally {
      this.#collecting = false
    }
  }
}
