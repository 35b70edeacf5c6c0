/**
 * What a gateway connection needs from the gateway that owns it: storage,
 * the log, shared caches and the registry. One object per gateway, shared
 * by all its connections.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { CommandLog, LatestCheckpoint } from '../commands/command-log.js'
import type { Database } from '../db/schema.js'
import type { AlertBudget } from './alert-budget.js'
import type { CommandEvents } from './command-events.js'
import type { DeliveryBuilder } from './delivery-builder.js'
import type { GroupCommit } from './group-commit.js'
import type { OrgEvents } from '../events/org-events.js'

/** A device that proved it holds its key on this connection. */
export interface AuthenticatedDevice {
  readonly id: string
  readonly org: string
  readonly publicKey: Uint8Array
  /** keyId(publicKey): the keyid its reports carry. */
  readonly keyid: string
}

/** Timings and bounds of connections. */
export interface GatewayLimits {
  /** Time to answer the challenge (default 10 s). */
  readonly helloTimeoutMs: number
  /** Frames received but not yet handled before the connection is closed (default 32). */
  readonly maxQueuedFrames: number
  /** Bytes of those frames (default 16 MiB: four maximal frames). */
  readonly maxQueuedBytes: number
  /** Deliveries sent and not yet answered, per connection (default 1000). */
  readonly maxInFlight: number
  /** Bytes buffered for a slow client before the gateway waits for it to read (default 1 MiB). */
  readonly highWaterBytes: number
  /** After a burst of three, one inventory per this interval per connection (default 10 s). */
  readonly inventoryIntervalMs: number
}

/** Shared by every connection of one gateway. */
export interface GatewayContext {
  readonly db: Kysely<Database>
  readonly log: CommandLog
  readonly builder: DeliveryBuilder
  readonly commits: GroupCommit
  readonly alerts: AlertBudget
  readonly logger: FastifyBaseLogger
  readonly limits: GatewayLimits
  /** Live notifications for the console (events/org-events.ts). */
  readonly events: OrgEvents
  /** "Command changed" events, coalesced per command (command-events.ts). */
  readonly commandEvents: CommandEvents
  /** Counters of deliveries, results, rejections and alerts (metrics/server-metrics.ts), when metrics are on. */
  readonly metrics?: {
    deliverySent(): void
    resultReceived(): void
    rejection(code: string): void
    alert(code: string): void
  }
  /** The org's latest cosigned checkpoint (concurrent calls share one lookup). */
  latest(org: string): Promise<LatestCheckpoint | null>
  /** The org's current root version, 0 when none (concurrent calls share one lookup). */
  rootVersion(org: string): Promise<number>
  /**
   * Makes `conn` the one connection of its device, closing any older one;
   * resolves once its presence is recorded (or failed; never rejects).
   */
  register(conn: RegisteredConnection): Promise<void>
  /** Forgets `conn` (if it is still the device's connection). */
  unregister(conn: RegisteredConnection): void
}

/** The registry's view of a connection. */
export interface RegisteredConnection {
  readonly deviceId: string | undefined
  close(code: number, reason: string): void
}
