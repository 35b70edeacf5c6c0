/**
 * 0001 — the initial schema (see ../schema.ts for what each table holds).
 *
 * Written with Kysely's schema builder only, so the same code yields valid
 * DDL for SQLite and PostgreSQL; the one dialect difference (the binary
 * type) comes in through {@link ColumnTypes}. Primary-key columns are
 * declared NOT NULL explicitly: SQLite otherwise accepts NULL in a
 * non-integer primary key (a documented legacy quirk).
 *
 * A published migration never changes; later changes are new migrations.
 */
import { sql, type Kysely, type Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0001 for a dialect's column types. */
export function initialMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const s = db.schema
      await s.createTable('orgs')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute()

      await s.createTable('setup_codes')
        .addColumn('code_hash', 'text', (c) => c.primaryKey().notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('used_at', t.millis)
        .addColumn('org_id', 'text', (c) => c.references('orgs.id'))
        .execute()

      await s.createTable('roots')
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('envelope', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addPrimaryKeyConstraint('roots_pk', ['org_id', 'version'])
        .execute()
      await s.createIndex('roots_fingerprint_idx').on('roots').column('fingerprint').execute()

      await s.createTable('log_keys')
        .addColumn('org_id', 'text', (c) => c.primaryKey().notNull().references('orgs.id'))
        .addColumn('origin', 'text', (c) => c.notNull().unique())
        .addColumn('signer_key', 'text', (c) => c.notNull())
        .addColumn('verifier_key', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .execute()

      await s.createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis)
        .addColumn('revoked_at', t.millis)
        .addColumn('last_used_at', t.millis)
        .addColumn('last_used_addr', 'text')
        .execute()
      await s.createIndex('api_keys_org_idx').on('api_keys').column('org_id').execute()

      await s.createTable('enrollment_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', t.millis, (c) => c.notNull())
        .addColumn('expires_at', t.millis, (c) => c.notNull())
        .addColumn('uses_left', 'integer', (c) => c.notNull().check(sql`uses_left >= 0`))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute()
      await s.createIndex('enrollment_tokens_org_idx').on('enrollment_tokens').column('org_id').execute()

      await s.createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('public_key', 'text', (c) => c.notNull().unique())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('enrolled_at', t.millis, (c) => c.notNull())
        .addColumn('last_seen_at', t.millis)
        .addColumn('inventory', 'text')
        .addColumn('inventory_digest', 'text')
        .addColumn('inventory_at', t.millis)
        .execute()
      await s.createIndex('devices_org_hostname_idx').on('devices').columns(['org_id', 'hostname']).execute()

      await createCommandTables(db, t)
      await createLogTables(db, t)
      await createDeliveryTables(db, t)
    },

    async down(db: Kysely<any>): Promise<void> {
      // Reverse dependency order, so foreign keys never dangle.
      for (const table of [
        'alerts', 'results', 'deliveries', 'checkpoints', 'log_entries', 'command_signatures', 'commands',
        'devices', 'enrollment_tokens', 'api_keys', 'log_keys', 'roots', 'setup_codes', 'orgs',
      ]) {
        await db.schema.dropTable(table).execute()
      }
    },
  }
}

async function createCommandTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.createTable('commands')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('payload', t.binary, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('not_after', t.millis, (c) => c.notNull())
    .addColumn('log_index', t.count)
    .execute()
  await db.schema.createIndex('commands_org_created_idx').on('commands').columns(['org_id', 'created_at']).execute()
  await db.schema.createIndex('commands_org_status_idx').on('commands').columns(['org_id', 'status']).execute()

  await db.schema.createTable('command_signatures')
    .addColumn('command_id', 'text', (c) => c.notNull().references('commands.id'))
    .addColumn('keyid', 'text', (c) => c.notNull())
    .addColumn('sig', t.binary, (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('command_signatures_pk', ['command_id', 'keyid'])
    .execute()
}

async function createLogTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.createTable('log_entries')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('idx', t.count, (c) => c.notNull().check(sql`idx >= 0`))
    .addColumn('leaf_data', t.binary, (c) => c.notNull())
    .addColumn('leaf_hash', t.binary, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('log_entries_pk', ['org_id', 'idx'])
    .execute()
  // "Where in the log is command X?" and proof lookups by leaf hash.
  await db.schema.createIndex('log_entries_ref_idx').on('log_entries').columns(['org_id', 'kind', 'ref_id']).execute()
  await db.schema.createIndex('log_entries_hash_idx').on('log_entries').columns(['org_id', 'leaf_hash']).execute()

  await db.schema.createTable('checkpoints')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('size', t.count, (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('root_hash', t.binary, (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('cosigned', 'integer', (c) => c.notNull().defaultTo(0).check(sql`cosigned in (0, 1)`))
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoints_pk', ['org_id', 'size'])
    .execute()
}

async function createDeliveryTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema.createTable('deliveries')
    .addColumn('command_id', 'text', (c) => c.notNull().references('commands.id'))
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.millis, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addPrimaryKeyConstraint('deliveries_pk', ['command_id', 'device_id'])
    .execute()
  // An agent connects: "what is pending for me?"
  await db.schema.createIndex('deliveries_device_status_idx').on('deliveries').columns(['device_id', 'status']).execute()

  await db.schema.createTable('results')
    .addColumn('command_id', 'text', (c) => c.notNull().references('commands.id'))
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
    .addColumn('envelope', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('received_at', t.millis, (c) => c.notNull())
    .addPrimaryKeyConstraint('results_pk', ['command_id', 'device_id'])
    .execute()
  await db.schema.createIndex('results_device_idx').on('results').column('device_id').execute()

  await db.schema.createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('device_id', 'text', (c) => c.references('devices.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', t.millis, (c) => c.notNull())
    .addColumn('acknowledged_at', t.millis)
    .execute()
  await db.schema.createIndex('alerts_org_created_idx').on('alerts').columns(['org_id', 'created_at']).execute()
}
