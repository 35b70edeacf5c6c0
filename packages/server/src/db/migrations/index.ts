/**
 * The server's migrations, compiled into the package rather than found by
 * scanning a folder at runtime (Kysely's FileMigrationProvider), so the
 * built package migrates correctly wherever it is installed or bundled.
 *
 * Names sort in the order they run. To add a migration: write
 * `000N-what.ts` exporting a factory, and append it to {@link MIGRATIONS}.
 * Never edit or remove a published one.
 */
import type { Migration, MigrationProvider } from 'kysely'
import { columnTypes, type ColumnTypes, type SqlFamily } from './column-types.js'
import { initialMigration } from './0001-initial.js'
import { logAndWitnessesMigration } from './0002-log-and-witnesses.js'
import { commandsAndGatewayMigration } from './0003-commands-and-gateway.js'
import { directoryAndAccountsMigration } from './0004-directory-and-accounts.js'
import { adminInvitationsMigration } from './0005-admin-invitations.js'
import { devicePackagesMigration } from './0006-device-packages.js'
import { presenceMigration } from './0007-presence.js'
import { deploymentMigration } from './0008-deployment.js'
import { deviceEnrollmentTokenMigration } from './0009-device-enrollment-token.js'

/** Every migration, by name, as factories of a dialect's column types. */
export const MIGRATIONS: Readonly<Record<string, (t: ColumnTypes) => Migration>> = Object.freeze({
  '0001-initial': initialMigration,
  '0002-log-and-witnesses': logAndWitnessesMigration,
  '0003-commands-and-gateway': commandsAndGatewayMigration,
  '0004-directory-and-accounts': directoryAndAccountsMigration,
  '0005-admin-invitations': adminInvitationsMigration,
  '0006-device-packages': devicePackagesMigration,
  '0007-presence': presenceMigration,
  '0008-deployment': deploymentMigration,
  '0009-device-enrollment-token': deviceEnrollmentTokenMigration,
})

/**
 * A Kysely MigrationProvider serving {@link MIGRATIONS} for one SQL family.
 *
 * @example
 * new Migrator({ db, provider: migrationProvider('sqlite') })
 */
export function migrationProvider(family: SqlFamily): MigrationProvider {
  const types = columnTypes(family)
  return {
    async getMigrations() {
      return Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(types)]))
    },
  }
}
