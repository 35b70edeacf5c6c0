/**
 * Brings a database to the latest schema. Safe to call on every start:
 * applied migrations are recorded (table `kysely_migration`) and skipped,
 * and on PostgreSQL Kysely holds an advisory lock, so nodes starting
 * together migrate once.
 */
import { Migrator, type Kysely } from 'kysely'
import { ServerError } from '../errors.js'
import type { SqlFamily } from './migrations/column-types.js'
import { migrationProvider } from './migrations/index.js'
import type { Database } from './schema.js'

/**
 * Applies every pending migration, in order, and returns the names applied
 * (empty when already up to date). Throws ServerError `SRV_INTERNAL` naming
 * the failed migration, with the database error as `cause`.
 *
 * @example
 * await migrateToLatest(db, 'sqlite') // ['0001-initial'] on a fresh file, [] afterwards
 */
export async function migrateToLatest(db: Kysely<Database>, family: SqlFamily): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider(family) })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? '(setup)'
    throw new ServerError('SRV_INTERNAL', `database migration ${failed} failed`, { cause: error })
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
