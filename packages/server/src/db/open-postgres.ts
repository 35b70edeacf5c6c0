/**
 * Opens a PostgreSQL database (node-postgres pool) for Kysely, for servers
 * that share one database across nodes.
 *
 * Trusts the URL it is given (credentials included); never log it.
 */
import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { Database } from './schema.js'

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /**
   * Most pooled connections this process opens (default 10; servers pass
   * PALISADE_DATABASE_POOL). Per process: each worker of a cluster has its
   * own pool, which db/connection-budget.ts checks against the server's
   * max_connections.
   */
  readonly maxConnections?: number
  /**
   * Called when an idle pooled connection fails (the server restarted, the
   * network dropped). The pool discards that connection by itself; without
   * a listener node-postgres would crash the process.
   */
  readonly onIdleError?: (error: Error) => void
}

/** OID of PostgreSQL's int8 (bigint), see pg_type. */
const INT8_OID = 20

/**
 * Our int8 columns hold epoch milliseconds, log indexes and counts, all far
 * below 2^53; node-postgres returns int8 as a string by default so as not
 * to lose precision. We read a number, and refuse (rather than round) a
 * value that would not fit: pg turns a parser exception into a query error.
 */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds Number.MAX_SAFE_INTEGER`)
  return n
}

// Per-pool type parsers: the global pg.types registry is shared with any
// other library in the process, so we do not mutate it.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return parseInt8
    return pg.types.getTypeParser(oid, format)
  },
}

/**
 * Opens a pooled connection to `url` (`postgres://user:pass@host:5432/db`).
 * Connections are made lazily; the first query reports an unreachable server.
 * Closing the Kysely instance (`db.destroy()`) ends the pool.
 *
 * @example
 * const db = openPostgres('postgres://palisade@db.internal/palisade')
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    types: types as pg.CustomTypesConfig,
  })
  pool.on('error', options.onIdleError ?? (() => {}))
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}
