/**
 * Opens the server database named by a URL and migrates it to the latest
 * schema: the one call startup needs.
 *
 * - `sqlite:<path>` (the default): one embedded file; its directory is
 *   created if missing, private to the server user (0700) since it holds
 *   credential hashes. `sqlite::memory:` for throwaway use.
 * - `postgres://…` or `postgresql://…`: a shared PostgreSQL database.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Kysely } from 'kysely'
import { ServerError } from '../errors.js'
import { migrateToLatest } from './migrate.js'
import type { SqlFamily } from './migrations/column-types.js'
import { openPostgres, type PostgresOptions } from './open-postgres.js'
import { openSqlite } from './open-sqlite.js'
import type { Database } from './schema.js'

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions extends PostgresOptions {
  /** Run pending migrations (default true). */
  readonly migrate?: boolean
}

/**
 * The SQL family a database URL names; throws ServerError
 * `SRV_CONFIG_INVALID` for any other scheme.
 *
 * @example
 * sqlFamilyOf('postgres://db/palisade') // 'postgres'
 */
export function sqlFamilyOf(url: string): SqlFamily {
  if (url.startsWith('sqlite:')) return 'sqlite'
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres'
  throw new ServerError('SRV_CONFIG_INVALID', 'database URL must start with sqlite: or postgres://', {
    errors: [{ path: 'PALISADE_DATABASE_URL', message: 'must start with sqlite: or postgres://' }],
  })
}

/**
 * Opens and migrates the database. On failure nothing stays open.
 *
 * @example
 * const db = await openDatabase(config.databaseUrl)
 * try { … } finally { await db.destroy() }
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Kysely<Database>> {
  const family = sqlFamilyOf(url)
  let db: Kysely<Database>
  if (family === 'sqlite') {
    const path = url.slice('sqlite:'.length)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    db = openSqlite(path)
  } else {
    db = openPostgres(url, options)
  }
  if (options.migrate === false) return db
  try {
    await migrateToLatest(db, family)
  } catch (e) {
    await db.destroy()
    throw e
  }
  return db
}
