/**
 * Opens the embedded SQLite database (better-sqlite3) for Kysely.
 *
 * Pragmas, and why:
 * - journal_mode=WAL: readers never block the writer, and one writer is
 *   all a single node has anyway.
 * - synchronous=FULL, not NORMAL: under WAL, NORMAL never corrupts the
 *   file, but a power loss may drop the last commits. For us a dropped
 *   commit is worse than slow: the server may already have sent a
 *   checkpoint over those entries to witnesses, or a command to agents;
 *   re-appending different entries at the same indexes would then look
 *   exactly like a fork (DESIGN.md G2) and witnesses would rightly refuse
 *   the log forever. FULL costs one WAL fsync per commit, and commands
 *   share checkpoints, so commits are batched where it matters.
 * - foreign_keys=ON: SQLite ships with them off, per connection.
 * - busy_timeout: another process (a CLI backup, a second server by
 *   mistake) holding the lock makes us wait, not fail at once.
 */
import Sqlite from 'better-sqlite3'
import { Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely'
import type { Database } from './schema.js'

/** How long a statement waits for a lock held by another connection. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

/**
 * Opens (creating if needed) a SQLite file, or `:memory:`, with the pragmas
 * above. The directory must exist. Closing the Kysely instance
 * (`db.destroy()`) closes the file.
 *
 * @example
 * const db = openSqlite('/var/lib/palisade/palisade.db')
 */
export function openSqlite(file: string): Kysely<Database> {
  const database = new Sqlite(file)
  try {
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = FULL')
    database.pragma('foreign_keys = ON')
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  } catch (e) {
    database.close()
    throw e
  }
  return new Kysely<Database>({ dialect: new TransactionalDdlSqliteDialect({ database }) })
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does
 * not, so its Migrator would apply a migration statement by statement: a
 * crash half-way would leave tables that the next start fails to create.
 * Declaring transactional DDL makes each migration run all-or-nothing.
 * (The flag is read by the Migrator only.)
 */
class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter()
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}
