/**
 * The schema on real databases: SQLite in a temp file always, and
 * PostgreSQL when one answers at 127.0.0.1:5432 (or PALISADE_TEST_POSTGRES_URL),
 * in a throwaway database created and dropped here.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { deploymentId } from './deployment-id.js'
import { migrateToLatest } from './migrate.js'
import type { SqlFamily } from './migrations/column-types.js'
import { MIGRATIONS } from './migrations/index.js'
import { openDatabase } from './open.js'
import { freshPostgres, POSTGRES_SKIP } from './postgres.test.helper.js'
import type { Database, NewRow, TableName } from './schema.js'
import { SQLITE_HALF } from './test-database.test.helper.js'

const T = 1_764_000_000_123 // > 2^32: proves timestamps are 64-bit
const bytes = (...b: number[]) => new Uint8Array(b)

/** One valid row per table, in foreign-key order. */
const ROWS: { [K in TableName]: NewRow<K> } = {
  orgs: { id: 'org1', name: 'Acme', created_at: T },
  setup_codes: { code_hash: 'h1', created_at: T, org_id: 'org1' },
  roots: { org_id: 'org1', version: 1, envelope: '{}', fingerprint: 'fp1', created_at: T },
  log_keys: { org_id: 'org1', origin: 'acme.example/log', signer_key: 'PRIVATE+KEY', verifier_key: 'vk', created_at: T },
  api_keys: { id: 'k1', org_id: 'org1', name: 'ci', prefix: 'pal_ab12', secret_hash: 'sh', scopes: '["read"]', created_at: T },
  enrollment_tokens: { id: 'e1', org_id: 'org1', token_hash: 'th', created_at: T, expires_at: T + 1, uses_left: 5, created_by: 'admin1' },
  devices: { id: 'd1', org_id: 'org1', public_key: 'pk1', hostname: 'laptop-1', enrolled_at: T, inventory: '{"os":"linux"}' },
  device_packages: { org_id: 'org1', device_id: 'd1', name: 'openssl', arch: 'amd64', version: '3.0.13-1' },
  commands: { id: 'c1', org_id: 'org1', payload: bytes(0, 1, 254, 255), status: 'pending', created_at: T, created_by: 'admin1', not_after: T + 60_000 },
  command_signatures: { command_id: 'c1', keyid: 'key-a', sig: bytes(9, 9), created_at: T },
  log_entries: { org_id: 'org1', idx: 0, leaf_data: bytes(1), leaf_hash: bytes(2), kind: 'command', ref_id: 'c1', created_at: T },
  checkpoints: { org_id: 'org1', size: 1, root_hash: bytes(3), note: 'acme.example/log\n1\n…', cosigned: 1, created_at: T },
  deliveries: { command_id: 'c1', device_id: 'd1', status: 'sent', updated_at: T, attempts: 1 },
  results: { command_id: 'c1', device_id: 'd1', envelope: '{}', exit_code: 0, status: 'ok', received_at: T },
  alerts: { id: 'a1', org_id: 'org1', device_id: 'd1', code: 'PROTO_SIG_INVALID', message: 'rejected', details: '{}', created_at: T },
  pending_log_keys: { org_id: 'org2', origin: 'palisade/org2', signer_key: 'PRIVATE+KEY', verifier_key: 'vk2', created_at: T },
  org_witnesses: { org_id: 'org1', key: 'w.example+01020304+BA==', url: 'https://w.example', last_size: 1, created_at: T },
  log_heads: { org_id: 'org1', size: 1 },
  admins: {
    id: 'ad1', username: 'Ada', username_key: 'ada', email: 'ada@example.com', email_key: 'ada@example.com', name: 'Ada L',
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', status: 'active', failed_logins: 0, version: 1, password_changed_at: T, created_at: T, updated_at: T,
  },
  admin_roles: { admin_id: 'ad1', org_id: 'org1', role: 'owner', created_at: T },
  admin_invitations: { id: 'i1', org_id: 'org1', identifier: 'Ada', identifier_key: 'ada', role: 'admin', created_by: 'ad1', created_at: T, expires_at: T + 1 },
  recovery_codes: { admin_id: 'ad1', code_hash: 'rc1', created_at: T },
  sessions: { id: 's1', token_hash: 'tk1', csrf_hash: 'cs1', admin_id: 'ad1', mfa: 1, created_at: T, last_seen_at: T, expires_at: T + 1 },
  people: {
    id: 'p1', org_id: 'org1', username: 'bob', username_key: 'bob', email: 'bob@example.com', email_key: 'bob@example.com', name: 'Bob',
    status: 'active', ssh_keys: '[]', attributes: '{}', created_at: T, updated_at: T, version: 1,
  },
  groups: { id: 'g1', org_id: 'org1', kind: 'user', name: 'Eng', name_key: 'eng', description: '', created_at: T, updated_at: T, version: 1 },
  group_members: { group_id: 'g1', member_id: 'p1', org_id: 'org1', added_at: T },
  audit_events: {
    id: 'ev1', org_id: 'org1', actor_type: 'admin', actor_id: 'ad1', actor_name: 'Ada', action: 'person.create', target_type: 'person',
    target_id: 'p1', result: 'success', status_code: 201, source_addr: '127.0.0.1', request_id: 'r1', details: '{}', created_at: T,
  },
  agent_sessions: { device_id: 'd1', node_id: 'node-a', connection_id: 'i1.1', connected_at: T },
  server_nodes: { node_id: 'node-a', instance: 'i1', heartbeat_at: T, ttl_ms: 30_000 },
  deployment: { id: 'dep-2', created_at: T },
}

async function insertAll(db: Kysely<Database>): Promise<void> {
  for (const [table, row] of Object.entries(ROWS)) await db.insertInto(table as TableName).values(row as never).execute()
}

interface Backend {
  family: SqlFamily
  /** Creates the empty database; returns its URL. */
  create(): Promise<string>
  destroy(): Promise<void>
}

const sqliteBackend = (): Backend => {
  let dir = ''
  return {
    family: 'sqlite',
    async create() {
      dir = mkdtempSync(join(tmpdir(), 'palisade-migrate-'))
      return `sqlite:${join(dir, 'palisade.db')}`
    },
    async destroy() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const postgresBackend = (): Backend => {
  let drop = async (): Promise<void> => {}
  return {
    family: 'postgres',
    async create() {
      const fresh = await freshPostgres('test')
      drop = fresh.drop
      return fresh.url
    },
    async destroy() {
      await drop()
    },
  }
}

function conformance(label: string, backend: Backend, skip: string | undefined): void {
  describe(`schema on ${label}`, { skip: skip ?? false }, () => {
    let url = ''
    let db: Kysely<Database>
    before(async () => {
      url = await backend.create()
      db = await openDatabase(url, { migrate: false })
    })
    after(async () => {
      await db?.destroy()
      await backend.destroy()
    })

    it('refuses to name a deployment on a database not migrated yet', async () => {
      await assert.rejects(() => deploymentId(db), { code: 'SRV_UNAVAILABLE', message: /no deployment table: migrate it first/ })
    })

    it('applies every migration to a fresh database, creating every table', async () => {
      assert.deepEqual(await migrateToLatest(db, backend.family), Object.keys(MIGRATIONS))
      const tables = (await db.introspection.getTables()).map((t) => t.name)
      for (const table of Object.keys(ROWS)) assert.ok(tables.includes(table), table)
    })

    it('applies nothing when migrated again, also after a restart', async () => {
      assert.deepEqual(await migrateToLatest(db, backend.family), [])
      const again = await openDatabase(url)
      await again.destroy()
    })

    it('names the deployment once (0008): a random NATS-safe id, the same through every connection', async () => {
      const id = await deploymentId(db)
      assert.match(id, /^[0-9a-f]{16}$/)
      const other = await openDatabase(url)
      try {
        assert.equal(await deploymentId(other), id)
      } finally {
        await other.destroy()
      }
    })

    it('round-trips a row of every table, timestamps as numbers and binary as bytes', async () => {
      await insertAll(db)
      for (const [table, row] of Object.entries(ROWS)) {
        // deployment also holds the row migration 0008 made: compare with the one inserted here.
        const all = (await db.selectFrom(table as TableName).selectAll().execute()) as Record<string, unknown>[]
        const got = table === 'deployment' ? all.find((r) => r.id === ROWS.deployment.id) : all[0]
        for (const [column, value] of Object.entries(row)) {
          const actual = (got as Record<string, unknown>)[column]
          if (value instanceof Uint8Array) {
            assert.ok(actual instanceof Uint8Array, `${table}.${column}`)
            assert.deepEqual([...actual], [...value], `${table}.${column}`)
          } else {
            assert.equal(actual, value, `${table}.${column}`)
          }
        }
      }
    })

    it('refuses to name a deployment when the table holds two ids', async () => {
      await assert.rejects(() => deploymentId(db), { code: 'SRV_UNAVAILABLE', message: /holds 2 deployment ids, not one/ })
    })

    it('leaves omitted nullable columns null', async () => {
      const device = await db.selectFrom('devices').selectAll().executeTakeFirstOrThrow()
      assert.equal(device.last_seen_at, null)
    })

    // Expected error codes: better-sqlite3 extended codes / PostgreSQL SQLSTATEs.
    const KINDS = {
      primary: { sqlite: 'SQLITE_CONSTRAINT_PRIMARYKEY', postgres: '23505' },
      unique: { sqlite: 'SQLITE_CONSTRAINT_UNIQUE', postgres: '23505' },
      foreign: { sqlite: 'SQLITE_CONSTRAINT_FOREIGNKEY', postgres: '23503' },
      notNull: { sqlite: 'SQLITE_CONSTRAINT_NOTNULL', postgres: '23502' },
      check: { sqlite: 'SQLITE_CONSTRAINT_CHECK', postgres: '23514' },
    } as const
    const refused: [string, keyof typeof KINDS, (db: Kysely<Database>) => Promise<unknown>][] = [
      ['a duplicate primary key', 'primary', (d) => d.insertInto('orgs').values(ROWS.orgs).execute()],
      ['a duplicate composite key', 'primary', (d) => d.insertInto('roots').values({ ...ROWS.roots, envelope: 'other' }).execute()],
      ['a duplicate unique value', 'unique', (d) => d.insertInto('api_keys').values({ ...ROWS.api_keys, id: 'k2' }).execute()],
      ['a dangling foreign key', 'foreign', (d) => d.insertInto('devices').values({ ...ROWS.devices, id: 'd2', public_key: 'pk2', org_id: 'nope' }).execute()],
      ['a missing required column', 'notNull', (d) => d.insertInto('orgs').values({ id: 'org2', created_at: T } as never).execute()],
      ['a null primary key column', 'notNull', (d) => d.insertInto('roots').values({ ...ROWS.roots, org_id: null as never }).execute()],
      ['a check violation', 'check', (d) => d.insertInto('checkpoints').values({ ...ROWS.checkpoints, size: 2, cosigned: 2 as 1 }).execute()],
      ['a negative log index', 'check', (d) => d.insertInto('log_entries').values({ ...ROWS.log_entries, idx: -1 }).execute()],
    ]
    for (const [what, kind, attempt] of refused) {
      it(`refuses ${what}`, async () => {
        await assert.rejects(() => attempt(db), { code: KINDS[kind][backend.family] })
      })
    }
  })
}

if (POSTGRES_SKIP !== false) console.log(`# skipping PostgreSQL schema tests: ${POSTGRES_SKIP}`)
conformance('SQLite', sqliteBackend(), SQLITE_HALF === false ? undefined : SQLITE_HALF)
conformance('PostgreSQL', postgresBackend(), POSTGRES_SKIP === false ? undefined : POSTGRES_SKIP)
