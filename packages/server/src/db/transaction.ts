/**
 * Runs work in one database transaction, retrying when the database asks
 * us to (a serialization failure or deadlock on PostgreSQL, a busy lock on
 * SQLite). Everything that must hold together — appending a log entry and
 * moving a command to "logged", using up an enrollment token and creating
 * the device — goes through here.
 *
 * The callback may run more than once: it must only touch the database
 * through `trx`, and do nothing outside it (no network, no events) until
 * withTransaction has returned.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

/** Options of {@link withTransaction}. */
export interface TransactionOptions {
  /** PostgreSQL isolation level; SQLite transactions are always serializable. */
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable'
  /** Retries after the first attempt on a retryable error (default 3). */
  readonly retries?: number
}

// PostgreSQL SQLSTATEs: 40001 serialization_failure, 40P01 deadlock_detected.
// better-sqlite3 codes: SQLITE_BUSY (incl. _SNAPSHOT, _RECOVERY, _TIMEOUT) and SQLITE_LOCKED.
const RETRYABLE = /^(40001|40P01|SQLITE_BUSY(_[A-Z]+)?|SQLITE_LOCKED(_[A-Z]+)?)$/

/**
 * True for database errors that mean "run the transaction again".
 *
 * @example
 * isRetryableDbError(Object.assign(new Error(), { code: '40001' })) // true
 */
export function isRetryableDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && RETRYABLE.test(code)
}

/**
 * Runs `work` in a transaction: committed if it resolves, rolled back if it
 * throws; retried with jittered backoff on retryable errors.
 *
 * @example
 * const device = await withTransaction(db, async (trx) => {
 *   await trx.updateTable('enrollment_tokens').set(…).where(…).execute()
 *   return trx.insertInto('devices').values(row).returningAll().executeTakeFirstOrThrow()
 * }, { isolation: 'serializable' })
 */
export async function withTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    try {
      let builder = db.transaction()
      if (options.isolation !== undefined) builder = builder.setIsolationLevel(options.isolation)
      return await builder.execute(work)
    } catch (e) {
      if (attempt >= retries || !isRetryableDbError(e)) throw e
      // Jitter, so that the transactions that collided do not collide again.
      await sleep((attempt + 1) * (5 + Math.random() * 20))
    }
  }
}
