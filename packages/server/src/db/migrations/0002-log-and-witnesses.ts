/**
 * 0002 — what the per-org log and setup need beyond 0001:
 *
 * - `pending_log_keys`: the log key generated for an org that is being set
 *   up (POST /v1/setup/log-key). Root v1 must name it, and admins sign root
 *   v1 offline, so the key outlives restarts (and setup codes) until the org
 *   is created; then it moves to `log_keys`. No foreign key: the org does
 *   not exist yet.
 * - `org_witnesses`: the witnesses given at setup (or added by a rotation),
 *   with their URL and the largest checkpoint size each has cosigned, so
 *   the next request offers it a consistency proof from that size
 *   (c2sp.org/tlog-witness), and the last failure, for operators.
 * - `log_heads`: one row per org holding the log size. Appending updates
 *   it first (`size = size + n … returning`), which serialises concurrent
 *   appenders on the row lock in PostgreSQL and the write lock in SQLite,
 *   so indexes stay dense without a sequence.
 *
 * A published migration never changes; later changes are new migrations.
 */
import { sql, type Kysely, type Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0002 for a dialect's column types. */
export function logAndWitnessesMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('pending_log_keys')
        .addColumn('org_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('origin', 'text', (c) => c.notNull().unique())
        .addColumn('signer_key', 'text', (c) => c.notNull())
        .addColumn('verifier_key', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute()

      await db.schema.createTable('org_witnesses')
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('last_size', t.count, (c) => c.check(sql`last_size >= 0`))
        .addColumn('last_cosigned_at', t.millis)
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', t.millis)
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('org_witnesses_pk', ['org_id', 'key'])
        .execute()

      await db.schema.createTable('log_heads')
        .addColumn('org_id', 'text', (c) => c.primaryKey().notNull().references('orgs.id'))
        .addColumn('size', t.count, (c) => c.notNull().check(sql`size >= 0`))
        .execute()
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['log_heads', 'org_witnesses', 'pending_log_keys']) await db.schema.dropTable(table).execute()
    },
  }
}
