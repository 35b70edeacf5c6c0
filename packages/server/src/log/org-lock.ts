/**
 * Per-org serialisation of log appends and checkpoint publication across
 * server nodes sharing one PostgreSQL database (DESIGN.md: many nodes on
 * PostgreSQL). On SQLite there is one node, whose single writer and
 * in-process publish queue already serialise both, so these are no-ops.
 *
 * - Appends: `pg_advisory_xact_lock(key)` in the append transaction, before
 *   the log head is read; held until commit or rollback, so two nodes never
 *   read the same head, and indexes are dense and never reused.
 * - Publication: a session advisory lock, held on one pooled connection
 *   while the checkpoint is signed and the witnesses are asked (network
 *   time). Waiters poll with `pg_try_advisory_lock` and hold no connection
 *   while they wait, and at most {@link MAX_PUBLISHING} publications per
 *   node hold one, so waiting nodes can never exhaust a pool that the
 *   lock holder needs for its own queries. Two nodes therefore never offer
 *   witnesses two checkpoints at once, and the one that goes second reads
 *   the log head and the latest checkpoint after the first committed.
 *
 * Keys: the first 8 bytes of SHA-256("palisade/<purpose>/" + org), a stable
 * signed 64-bit integer, distinct per purpose so an append never waits for
 * a publication.
 */
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { PostgresAdapter, sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** What a lock serialises. */
export type LockPurpose = 'append' | 'publish'

/** Publications of this node that may hold a pooled connection at once (the pool has 10 by default). */
export const MAX_PUBLISHING = 3

/**
 * The advisory-lock key of `org` for `purpose`, as a decimal string (a signed 64-bit integer).
 *
 * @example
 * lockKey('append', 'acme') // '-5270…' (stable across nodes, releases and restarts)
 */
export function lockKey(purpose: LockPurpose, org: string): string {
  return createHash('sha256').update(`palisade/${purpose}/${org}`).digest().readBigInt64BE(0).toString()
}

/** True when `db` talks to PostgreSQL. */
export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * Takes the org's append lock inside transaction `trx` (PostgreSQL; a no-op on SQLite).
 *
 * @example
 * await withTransaction(db, async (trx) => { await lockAppend(trx, 'acme'); await appendEntries(trx, 'acme', entries, now) })
 */
export async function lockAppend(trx: Kysely<Database>, org: string): Promise<void> {
  if (!isPostgres(trx)) return
  await sql`select pg_advisory_xact_lock(${lockKey('append', org)}::bigint)`.execute(trx)
}

/** Runs publications under the per-org session lock; one instance per node (OrgLog). */
export class PublishLock {
  readonly #db: Kysely<Database>
  readonly #postgres: boolean
  #holding = 0
  readonly #slotWaiters: (() => void)[] = []

  constructor(db: Kysely<Database>) {
    this.#db = db
    this.#postgres = isPostgres(db)
  }

  /**
   * Runs `work` while holding `org`'s publication lock across nodes.
   *
   * @example
   * const cp = await lock.run('acme', () => cosignAndStore('acme'))
   */
  async run<T>(org: string, work: () => Promise<T>): Promise<T> {
    if (!this.#postgres) return work()
    const key = lockKey('publish', org)
    for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
      await this.#takeSlot()
      let outcome: { readonly value: T } | undefined
      try {
        outcome = await this.#db.connection().execute(async (conn) => {
          const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}::bigint) as ok`.execute(conn)
          if (got.rows[0]?.ok !== true) return undefined
          try {
            return { value: await work() }
          } finally {
            // If the connection broke, the session ended and the lock with it.
            await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => {})
          }
        })
      } finally {
        this.#releaseSlot()
      }
      if (outcome !== undefined) return outcome.value
      // Another node publishes this org now; its checkpoint will likely cover ours.
      await sleep(wait)
    }
  }

  async #takeSlot(): Promise<void> {
    while (this.#holding >= MAX_PUBLISHING) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve))
    this.#holding++
  }

  #releaseSlot(): void {
    this.#holding--
    this.#slotWaiters.shift()?.()
  }
}
