/**
 * 0009 — which enrollment token enrolled each device (`devices.enrolled_with`,
 * the token's id, never its secret), so that an agent retrying an
 * enrollment whose answer it lost gets that same device back instead of a
 * 409 (enroll/enroll-route.ts). Null for devices enrolled before.
 */
import type { Kysely, Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0009. */
export function deviceEnrollmentTokenMigration(_t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('devices').addColumn('enrolled_with', 'text').execute()
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('devices').dropColumn('enrolled_with').execute()
    },
  }
}
