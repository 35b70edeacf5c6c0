/**
 * 0008 — the deployment's own name: one row, made when the database is
 * first migrated to this version, and so shared by every node and worker
 * on that database. The NATS bus puts it in its subjects
 * (bus/nats-bus.ts): two deployments on one NATS server (staging and
 * production, or two customers of one operator) then never hear each
 * other's hints. Before, each read the other's org names and command ids
 * and re-read its own database for nothing.
 *
 * Random, not configured: nodes of one deployment agree by construction,
 * and there is no setting to get wrong on one node.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely, Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0008 for a dialect's column types. */
export function deploymentMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('deployment')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute()
      // 16 hex digits: a NATS subject token (no dots, wildcards or spaces).
      await db.insertInto('deployment').values({ id: randomBytes(8).toString('hex'), created_at: Date.now() }).execute()
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('deployment').execute()
    },
  }
}
