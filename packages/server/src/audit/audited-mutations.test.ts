/**
 * The audit event inside the mutation's transaction (issue #5), for a
 * representative set of routes beyond the accounts: creating a person, a
 * command draft, an enrollment token, and rotating the org root. With the
 * audit table gone (renamed away, as a broken store would be) each call
 * answers 503 and changes nothing; once the table is back, a retry succeeds
 * and leaves exactly one event — on SQLite and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { sql, type Kysely } from 'kysely'
import { buildApp } from '../app.js'
import { commandPayload } from '../commands/org.test.helper.js'
import { openDatabase } from '../db/open.js'
import { freshPostgres, POSTGRES_SKIP, type FreshPostgres } from '../db/postgres.test.helper.js'
import { SQLITE_HALF } from '../db/test-database.test.helper.js'
import type { Database } from '../db/schema.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { admin, rootPayload, setupOrg, signRoot, type TestOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'

const BACKENDS = [['sqlite', SQLITE_HALF], ['postgres', POSTGRES_SKIP]] as const

for (const [backend, skip] of BACKENDS) {
  describe(`a mutation and its audit event on ${backend}`, { skip }, () => {
    let app: FastifyInstance
    let db: Kysely<Database>
    let org: TestOrg
    let witnesses: TestWitness[]
    let fresh: FreshPostgres | undefined
    let dir: string

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'palisade-audited-mutations-'))
      fresh = backend === 'postgres' ? await freshPostgres('audmut') : undefined
      const config = testConfig(dir, fresh === undefined ? {} : { PALISADE_DATABASE_URL: fresh.url })
      db = await openDatabase(config.databaseUrl)
      app = buildApp({ config, db, logger: captureLogger('info').logger })
      await app.ready()
      witnesses = await startWitnesses(1, `audmut-${backend}`)
      org = await setupOrg(app, db, { org: 'audmut', witnesses })
    })
    after(async () => {
      await app.close()
      await Promise.all(witnesses.map((w) => w.close()))
      await fresh?.drop()
      rmSync(dir, { recursive: true, force: true })
    })

    /** Sends the call with the audit store down (503, nothing changed per `unchanged`), then again with it up; returns the retry. */
    async function failThenRetry(call: () => Promise<LightMyRequestResponse>, unchanged: () => Promise<void>): Promise<LightMyRequestResponse> {
      await sql`alter table audit_events rename to audit_events_away`.execute(db)
      let failed: LightMyRequestResponse
      try {
        failed = await call()
      } finally {
        await sql`alter table audit_events_away rename to audit_events`.execute(db)
      }
      assert.deepEqual([failed.statusCode, failed.json().code], [503, 'SRV_UNAVAILABLE'], failed.body)
      await unchanged()
      return call()
    }

    async function events(action: string): Promise<{ result: string; status_code: number; target_id: string | null; org_id: string | null }[]> {
      return db.selectFrom('audit_events').select(['result', 'status_code', 'target_id', 'org_id']).where('action', '=', action).execute()
    }

    const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: org.auth, payload })

    it('creates no person without its event, and a retry creates one person with one event', async () => {
      const body = { username: 'ada', email: 'ada@example.com', name: 'Ada' }
      const retry = await failThenRetry(
        () => post('/v1/orgs/audmut/people', body),
        async () => assert.deepEqual(await db.selectFrom('people').select('id').where('org_id', '=', 'audmut').execute(), [], 'no person without its event'),
      )
      assert.equal(retry.statusCode, 201, retry.body)
      const people = await db.selectFrom('people').select('id').where('org_id', '=', 'audmut').execute()
      assert.deepEqual(people.map((p) => p.id), [retry.json().id])
      assert.deepEqual(await events('person.create'), [{ result: 'success', status_code: 201, target_id: retry.json().id, org_id: 'audmut' }])
    })

    it('stores no command draft without its event, and a retry stores one with one event', async () => {
      const payload = commandPayload('audmut')
      const retry = await failThenRetry(
        () => post('/v1/orgs/audmut/commands', { payload }),
        async () => assert.deepEqual(await db.selectFrom('commands').select('id').where('org_id', '=', 'audmut').execute(), [], 'no command without its event'),
      )
      assert.equal(retry.statusCode, 201, retry.body)
      assert.equal((await db.selectFrom('commands').select('id').where('org_id', '=', 'audmut').execute()).length, 1)
      assert.deepEqual(await events('command.create'), [{ result: 'success', status_code: 201, target_id: payload['id'], org_id: 'audmut' }])
      // The same id again is refused after the handler: one failure event, written by the hook.
      const again = await post('/v1/orgs/audmut/commands', { payload })
      assert.equal(again.statusCode, 409)
      assert.deepEqual((await events('command.create')).map((e) => [e.result, e.status_code]).sort(), [['failure', 409], ['success', 201]])
    })

    it('makes no enrollment token without its event, and a retry makes one with one event', async () => {
      const tokens = () => db.selectFrom('enrollment_tokens').select('id').where('org_id', '=', 'audmut').execute()
      const retry = await failThenRetry(
        () => post('/v1/orgs/audmut/enrollment-tokens', {}),
        async () => assert.deepEqual(await tokens(), [], 'no token without its event'),
      )
      assert.equal(retry.statusCode, 201, retry.body)
      const [token, ...more] = await tokens()
      assert.deepEqual(more, [])
      assert.deepEqual(await events('enrollment-token.create'), [{ result: 'success', status_code: 201, target_id: token!.id, org_id: 'audmut' }])
    })

    it('stores and logs no new root without its event, and a retry rotates once with one event', async () => {
      const [alice, bob] = org.admins
      const dave = admin('audmut-dave')
      const v2 = await signRoot(
        rootPayload({ org: 'audmut', version: 2, admins: [alice!, bob!, dave], witnessKeys: witnesses.map((w) => w.key), quorum: 1, origin: org.origin, logKey: org.logKey }),
        [alice!, bob!],
      )
      const logSize = async () => (await db.selectFrom('log_heads').select('size').where('org_id', '=', 'audmut').executeTakeFirstOrThrow()).size
      const sizeBefore = await logSize()
      const retry = await failThenRetry(
        () => post('/v1/orgs/audmut/roots', { envelope: v2 }),
        async () => {
          const versions = await db.selectFrom('roots').select('version').where('org_id', '=', 'audmut').execute()
          assert.deepEqual(versions.map((r) => r.version), [1], 'no root v2 without its event')
          assert.equal(await logSize(), sizeBefore, 'nothing appended to the log')
        },
      )
      assert.deepEqual([retry.statusCode, retry.json()], [201, { version: 2 }], retry.body)
      assert.equal(await logSize(), sizeBefore + 1, 'logged once')
      assert.deepEqual(await events('root.rotate'), [{ result: 'success', status_code: 201, target_id: '2', org_id: 'audmut' }])
    })

    it('never gives one request two events', async () => {
      const doubled = await db
        .selectFrom('audit_events')
        .select(['request_id', sql<number>`count(*)`.as('n')])
        .groupBy('request_id')
        .having(sql`count(*)`, '>', 1)
        .execute()
      assert.deepEqual(doubled, [])
    })
  })
}
