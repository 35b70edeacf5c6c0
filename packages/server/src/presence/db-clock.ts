/**
 * The one clock shared presence trusts: the database's. Every node reads
 * and writes presence against it (heartbeats, freshness, collection
 * cutoffs, the order of connections), so a node whose own clock is off,
 * even by hours, neither shows its devices offline nor has its live
 * sessions collected by the others. With PostgreSQL that is the database
 * server's clock; with SQLite (one file, so one machine) it is that
 * machine's, read through SQLite: one code path for both.
 *
 * A connection's stamp is taken when its hello is authenticated, not when
 * its write reaches the database (a write delayed in a reconnect storm
 * must not look newer than the device's next connection): the node
 * estimates the database clock from its own, by the offset measured at
 * each heartbeat ({@link ClockOffset}), within half a heartbeat's round
 * trip.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { isPostgres } from '../log/org-lock.js'

/**
 * SQL for the database's time now, in epoch milliseconds. PostgreSQL:
 * `statement_timestamp()`, one value for the whole statement (so every row
 * of a page compares against the same instant). SQLite: `julianday('now')`,
 * one value per statement step, and portable to any SQLite version.
 *
 * @example
 * await db.selectNoFrom(dbNow(db).as('now')).executeTakeFirstOrThrow() // { now: 1764000000123 }
 */
export function dbNow(db: Kysely<Database>): RawBuilder<number> {
  return isPostgres(db)
    ? sql<number>`(floor(extract(epoch from statement_timestamp()) * 1000))::int8`
    : sql<number>`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`
}

/**
 * This node's estimate of the database clock from its own. Measured at
 * each heartbeat (the write returns the database's time; the node's clock
 * is read just before and just after it), so a slow node clock, or one
 * stepped since, is corrected within a heartbeat.
 *
 * @example
 * const offset = new ClockOffset()
 * const before = Date.now()
 * const at = await beat(db, node, ttlMs) // the database's time of the write
 * offset.sample(before, at, Date.now())
 * offset.toDb(Date.now()) // ≈ the database's clock now
 */
export class ClockOffset {
  #offset = 0

  /** `local` (this node's clock) on the database's clock; the node's own clock until the first sample. */
  toDb(local: number): number {
    return Math.round(local + this.#offset)
  }

  /** Records that the database read `dbAt` between this node's `before` and `after`. */
  sample(before: number, dbAt: number, after: number): void {
    this.#offset = dbAt - (before + after) / 2
  }
}
