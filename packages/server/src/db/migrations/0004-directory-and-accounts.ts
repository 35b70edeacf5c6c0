/**
 * 0004 — the directory and the people who run the console (issue #5):
 *
 * - admins: console accounts, global to the server so that one person at a
 *   managed-service provider can act for several orgs without signing in
 *   again; `admin_roles` grants a role per org. Passwords are argon2id
 *   hashes; the TOTP secret is stored encrypted under a key that is not in
 *   the database (auth/secret-box.ts), so a stolen database yields neither;
 * - recovery_codes: one-time MFA recovery codes, hashed;
 * - sessions: console sessions; only SHA-256 of the session id and of the
 *   CSRF token are stored, so a database dump opens no session;
 * - people, groups, group_members: the directory of each org (people are
 *   who the org manages, not who logs in; devices may be bound to one);
 * - audit_events: every mutation and every login attempt;
 * - api_keys.created_by: who created a key (admin id or API key id);
 * - orgs.require_mfa: the org refuses console sessions without MFA.
 *
 * Uniqueness that must ignore case (usernames, emails, group names) uses a
 * normalised `*_key` column (lower-case, NFC) with a plain unique index:
 * portable, unlike expression indexes. `version` columns give optimistic
 * concurrency: an update names the version it read and fails if it moved.
 */
import { sql, type Kysely, type Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0004 for a dialect's column types. */
export function directoryAndAccountsMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const s = db.schema
      await s.createTable('admins')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_key', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('totp_secret', 'text')
        .addColumn('totp_enabled_at', t.millis)
        .addColumn('totp_last_step', t.count)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', t.millis)
        .addColumn('password_changed_at', t.millis, (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()

      await s.createTable('admin_roles')
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id'))
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('admin_roles_pk', ['admin_id', 'org_id'])
        .execute()
      await s.createIndex('admin_roles_org_idx').on('admin_roles').column('org_id').execute()

      await s.createTable('recovery_codes')
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('used_at', t.millis)
        .addPrimaryKeyConstraint('recovery_codes_pk', ['admin_id', 'code_hash'])
        .execute()

      await s.createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id'))
        .addColumn('mfa', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('last_seen_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .addColumn('revoked_at', t.millis)
        .addColumn('source_addr', 'text')
        .addColumn('user_agent', 'text')
        .execute()
      await s.createIndex('sessions_admin_idx').on('sessions').column('admin_id').execute()

      await s.createTable('people')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_key', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('ssh_keys', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()
      await s.createIndex('people_org_username_idx').unique().on('people').columns(['org_id', 'username_key']).execute()
      await s.createIndex('people_org_email_idx').unique().on('people').columns(['org_id', 'email_key']).execute()

      await s.createTable('groups')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'device')`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('updated_at', t.millis, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()
      await s.createIndex('groups_org_name_idx').unique().on('groups').columns(['org_id', 'kind', 'name_key']).execute()

      await s.createTable('group_members')
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id'))
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('added_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'member_id'])
        .execute()
      await s.createIndex('group_members_member_idx').on('group_members').column('member_id').execute()

      await s.alterTable('devices').addColumn('person_id', 'text').execute()
      await s.alterTable('orgs').addColumn('require_mfa', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await s.alterTable('api_keys').addColumn('created_by', 'text').execute()

      await s.createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text')
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('source_addr', 'text')
        .addColumn('request_id', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute()
      await s.createIndex('audit_events_org_time_idx').on('audit_events').columns(['org_id', 'created_at']).execute()
      await s.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_id', 'created_at']).execute()
    },

    async down(db: Kysely<any>): Promise<void> {
      const s = db.schema
      await s.dropTable('audit_events').execute()
      await s.alterTable('api_keys').dropColumn('created_by').execute()
      await s.alterTable('orgs').dropColumn('require_mfa').execute()
      await s.alterTable('devices').dropColumn('person_id').execute()
      for (const table of ['group_members', 'groups', 'people', 'sessions', 'recovery_codes', 'admin_roles', 'admins']) {
        await s.dropTable(table).execute()
      }
    },
  }
}
