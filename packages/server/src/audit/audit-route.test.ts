/**
 * GET /v1/orgs/:org/audit on SQLite, and on PostgreSQL when one answers at
 * 127.0.0.1:5432 (or PALISADE_TEST_POSTGRES_URL).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accessTestApp, type AccessTestApp } from '../auth/access-app.test.helper.js'
import { createKey } from '../auth/principals.test.helper.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'
import { SQLITE_HALF } from '../db/test-database.test.helper.js'
import { parseAuditCursor, formatAuditCursor } from './audit-cursor.js'
import { auditRoutes } from './audit-route.js'
import { recordAudit } from './record-audit.js'

interface Event { id: string; createdAt: number; actorName: string | null; action: string; result: string }

function suite(label: string, skip: string | undefined, databaseUrl: () => Promise<string | undefined>, drop: () => Promise<void>): void {
  describe(`audit search on ${label}`, { skip: skip ?? false }, () => {
    let t: AccessTestApp
    let auth: { authorization: string }
    before(async () => {
      const url = await databaseUrl()
      t = await accessTestApp([auditRoutes], url === undefined ? {} : { databaseUrl: url })
      auth = (await createKey(t.db, 'acme', ['admin'])).auth
      // 30 events of acme at 10 distinct times (3 per millisecond, so ties need the id), 5 of globex.
      for (let i = 0; i < 30; i++) {
        await recordAudit(t.db, {
          orgId: 'acme', actor: { type: 'admin', id: `admin-${i % 2}`, name: i % 2 === 0 ? 'ada' : 'bob' },
          action: i % 3 === 0 ? 'person.create' : i % 3 === 1 ? 'person.delete' : 'group.create', result: i % 5 === 0 ? 'denied' : 'success',
          statusCode: 200, at: 1000 + Math.floor(i / 3),
        })
      }
      for (let i = 0; i < 5; i++) await recordAudit(t.db, { orgId: 'globex', actor: { type: 'anonymous', id: null, name: null }, action: 'person.create', result: 'success', statusCode: 201, at: 1000 + i })
    })
    after(async () => {
      await t.close()
      await drop()
    })

    const search = async (query: string, headers: Record<string, string> = auth) => t.app.inject({ method: 'GET', url: `/v1/orgs/acme/audit${query}`, headers })

    it('pages newest first with a keyset cursor, stable while events are added', async () => {
      const seen: Event[] = []
      let cursor: string | null = ''
      let page = 0
      while (cursor !== null) {
        const res = await search(`?limit=7${cursor === '' ? '' : `&cursor=${cursor}`}`)
        assert.equal(res.statusCode, 200, res.body)
        const body = res.json() as { events: Event[]; nextCursor: string | null }
        seen.push(...body.events)
        cursor = body.nextCursor
        // A newer event arriving mid-walk must neither shift nor repeat later pages.
        if (page++ === 1) await recordAudit(t.db, { orgId: 'acme', actor: { type: 'system', id: null, name: null }, action: 'late.event', result: 'success', statusCode: 200, at: 99_999 })
      }
      assert.equal(seen.length, 30)
      assert.equal(new Set(seen.map((e) => e.id)).size, 30)
      const order = seen.map((e) => [e.createdAt, e.id] as const)
      const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
      assert.deepEqual(order, sorted)
      assert.ok(seen.every((e) => e.action !== 'late.event'))
    })

    it('filters by time range, actor, action (exact or prefix) and result', async () => {
      const ids = async (q: string) => ((await search(q)).json() as { events: Event[] }).events
      assert.equal((await ids('?since=1002&until=1004')).length, 6)
      assert.ok((await ids('?actor=ada&until=2000')).every((e) => e.actorName === 'ada'))
      assert.equal((await ids('?actor=admin-1&until=2000')).length, 15)
      assert.equal((await ids('?action=person.create')).length, 10)
      assert.equal((await ids('?action=person.*')).length, 20)
      assert.equal((await ids('?result=denied')).length, 6)
    })

    it('shows only the events of the org in the URL', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/orgs/globex/audit', headers: auth })
      assert.equal(res.statusCode, 404)
      const globex = (await createKey(t.db, 'globex', ['admin'])).auth
      const own = (await t.app.inject({ method: 'GET', url: '/v1/orgs/globex/audit', headers: globex })).json() as { events: Event[] }
      assert.equal(own.events.length, 5)
    })

    it('needs audit:read', async () => {
      const reader = (await createKey(t.db, 'acme', ['read', 'devices', 'commands', 'directory'])).auth
      const res = await search('', reader)
      assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_FORBIDDEN'])
    })

    it('refuses every malformed query field with 400 naming it', async () => {
      const bad: [string, string][] = [
        ['?limit=0', '/querystring/limit'], ['?limit=1001', '/querystring/limit'], ['?since=-1', '/querystring/since'], ['?until=1e3', '/querystring/until'],
        ['?since=5&until=5', '/querystring/until'], ['?result=maybe', '/querystring/result'], ['?action=Person', '/querystring/action'],
        ['?action=person.%25', '/querystring/action'], ['?cursor=!!', '/querystring/cursor'], [`?cursor=${Buffer.from('1.x y').toString('base64url')}`, '/querystring/cursor'],
        ['?actor=', '/querystring/actor'], ['?org=globex', '/querystring/org'],
      ]
      for (const [q, path] of bad) {
        const res = await search(q)
        assert.equal(res.statusCode, 400, q)
        assert.equal(res.json().code, 'SRV_VALIDATION', q)
        assert.ok((res.json().errors as { path: string }[]).some((e) => e.path === path), `${q}: ${res.body}`)
      }
    })
  })
}

describe('audit cursors', () => {
  it('round-trip, and have one spelling', () => {
    const c = { createdAt: 1_700_000_000_000, id: '0f8fad5b-d9cb-469f-a165-70867728950e' }
    assert.deepEqual(parseAuditCursor(formatAuditCursor(c)), c)
    for (const bad of ['', 'x'.repeat(121), Buffer.from('01.a').toString('base64url'), Buffer.from('1.').toString('base64url'), `${formatAuditCursor(c)}=`]) {
      assert.equal(parseAuditCursor(bad), undefined, bad)
    }
  })
})

suite('SQLite', SQLITE_HALF === false ? undefined : SQLITE_HALF, async () => undefined, async () => {})
let dropPostgres = async (): Promise<void> => {}
suite(
  'PostgreSQL',
  POSTGRES_SKIP === false ? undefined : POSTGRES_SKIP,
  async () => {
    const fresh = await freshPostgres('audit')
    dropPostgres = fresh.drop
    return fresh.url
  },
  () => dropPostgres(),
)
