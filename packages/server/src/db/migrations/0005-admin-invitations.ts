/**
 * 0005 — invitations to an org for existing console accounts (issue #5,
 * security review H2). An org can no longer grant a role to an account it
 * did not create: it leaves an invitation addressed to what its admin typed
 * (a username or an email address, normalised in `identifier_key`), and
 * only the account holder, signed in, can accept it. Until then the org
 * learns nothing about the account, not even whether it exists.
 *
 * One pending invitation per org and identifier (re-inviting replaces it);
 * accepted, declined and expired ones are deleted (the audit trail keeps
 * what happened).
 */
import type { Kysely, Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0005 for a dialect's column types. */
export function adminInvitationsMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('admin_invitations')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('identifier_key', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .execute()
      await db.schema.createIndex('admin_invitations_org_identifier_idx').unique().on('admin_invitations').columns(['org_id', 'identifier_key']).execute()
      await db.schema.createIndex('admin_invitations_identifier_idx').on('admin_invitations').column('identifier_key').execute()
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('admin_invitations').execute()
    },
  }
}
