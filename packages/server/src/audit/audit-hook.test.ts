import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { orgAccess, PUBLIC } from '../auth/access.js'
import { accessTestApp, type AccessTestApp } from '../auth/access-app.test.helper.js'
import { createAdmin, createKey, createSession } from '../auth/principals.test.helper.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { recordAudit } from './record-audit.js'

const ORG = objectSchema({ org: { type: 'string' } }, ['org'])
const ORG_ID = objectSchema({ org: { type: 'string' }, id: { type: 'string' } }, ['org', 'id'])
const ANY = { 200: { type: 'object', additionalProperties: true }, 201: { type: 'object', additionalProperties: true } }

const testRoutes: RoutePlugin = async (app) => {
  app.post(
    '/t/orgs/:org/things',
    { config: { access: orgAccess('devices:write'), audit: { action: 'thing.create', target: 'thing' } }, schema: { params: ORG, querystring: NO_QUERY, body: objectSchema({}), response: ANY } },
    async (request, reply) => {
      request.auditTarget = 'thing-1'
      request.auditDetails = { colour: 'blue' }
      return reply.code(201).send({})
    },
  )
  app.delete(
    '/t/orgs/:org/things/:id',
    { config: { access: orgAccess('devices:write'), audit: { action: 'thing.delete', target: 'thing' } }, schema: { params: ORG_ID, querystring: NO_QUERY, response: ANY } },
    async (request) => {
      if ((request.params as { id: string }).id === 'busy') throw new ServerError('SRV_CONFLICT', 'the thing is busy')
      return {}
    },
  )
  app.get('/t/orgs/:org/things', { config: { access: orgAccess('read') }, schema: { params: ORG, querystring: NO_QUERY, response: ANY } }, async () => ({}))
  app.post('/t/enroll', { config: { access: PUBLIC, audit: { action: 'thing.enroll' } }, schema: { querystring: NO_QUERY, body: objectSchema({}), response: ANY } }, async (request) => {
    request.auditOrg = 'acme'
    return {}
  })
}

let t: AccessTestApp
before(async () => {
  t = await accessTestApp([testRoutes])
})
after(() => t.close())

const eventOf = async (requestId: unknown) => t.db.selectFrom('audit_events').selectAll().where('request_id', '=', String(requestId)).execute()

describe('the audit hook', () => {
  it('records a success, durably before the answer, with actor, org, target, details, address and request id', async () => {
    const { id, auth } = await createKey(t.db, 'acme', ['devices'], { name: 'deployer' })
    const res = await t.app.inject({ method: 'POST', url: '/t/orgs/acme/things', headers: auth, payload: {} })
    assert.equal(res.statusCode, 201)
    const rows = await eventOf(res.headers['x-request-id'])
    assert.equal(rows.length, 1)
    const { id: _id, created_at, ...row } = rows[0]!
    assert.equal(created_at, t.clock.now)
    assert.deepEqual(row, {
      org_id: 'acme', actor_type: 'api-key', actor_id: id, actor_name: 'deployer', action: 'thing.create', target_type: 'thing', target_id: 'thing-1',
      result: 'success', status_code: 201, source_addr: '127.0.0.1', request_id: res.headers['x-request-id'], details: '{"colour":"blue"}',
    })
  })

  it('takes the target from :id and records a handler refusal as a failure', async () => {
    const admin = await createAdmin(t.db, 'auditor', { acme: 'admin' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const res = await t.app.inject({ method: 'DELETE', url: '/t/orgs/acme/things/busy', headers: s.write })
    assert.equal(res.statusCode, 409)
    const [row] = await eventOf(res.headers['x-request-id'])
    assert.deepEqual([row?.org_id, row?.actor_type, row?.actor_id, row?.actor_name, row?.target_id, row?.result, row?.status_code], ['acme', 'admin', admin.id, 'auditor', 'busy', 'failure', 409])
  })

  it('records access refusals as denied: in the org for a member, without an org for anyone else', async () => {
    const reader = await createKey(t.db, 'acme', ['read'])
    const outsider = await createKey(t.db, 'globex', ['admin'])
    const cases = [
      { headers: {}, status: 401, org: null, actor: 'anonymous' },
      { headers: reader.auth, status: 403, org: 'acme', actor: 'api-key' },
      { headers: outsider.auth, status: 404, org: null, actor: 'api-key' },
    ]
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/t/orgs/acme/things', headers: c.headers, payload: {} })
      assert.equal(res.statusCode, c.status)
      const [row] = await eventOf(res.headers['x-request-id'])
      assert.deepEqual([row?.result, row?.org_id, row?.actor_type, row?.status_code], ['denied', c.org, c.actor, c.status])
    }
  })

  it('does not audit reads', async () => {
    const { auth } = await createKey(t.db, 'acme', ['read'])
    const res = await t.app.inject({ method: 'GET', url: '/t/orgs/acme/things', headers: auth })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(await eventOf(res.headers['x-request-id']), [])
  })

  it('lets a public route name the org it established', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/t/enroll', payload: {} })
    const [row] = await eventOf(res.headers['x-request-id'])
    assert.deepEqual([row?.org_id, row?.actor_type, row?.result], ['acme', 'anonymous', 'success'])
  })

  it('answers 503, and logs why, when the event cannot be written', async () => {
    const { auth } = await createKey(t.db, 'acme', ['devices'])
    await sql`alter table audit_events rename to audit_events_away`.execute(t.db)
    try {
      const res = await t.app.inject({ method: 'POST', url: '/t/orgs/acme/things', headers: auth, payload: {} })
      assert.deepEqual([res.statusCode, res.json().code], [503, 'SRV_UNAVAILABLE'])
      assert.ok(t.lines.some((l) => l.includes('audit event not recorded')))
      assert.ok(!t.lines.join('\n').includes(auth.authorization.slice(7)))
    } finally {
      await sql`alter table audit_events_away rename to audit_events`.execute(t.db)
    }
  })
})

describe('recordAudit', () => {
  it('writes an explicit event (a failed login) and keeps details small', async () => {
    const id = await recordAudit(t.db, {
      orgId: null, actor: { type: 'anonymous', id: null, name: 'mallory' }, action: 'session.login', result: 'failure', statusCode: 401,
      details: { blob: 'x'.repeat(10_000) }, at: 5,
    })
    const row = await t.db.selectFrom('audit_events').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    assert.deepEqual([row.actor_name, row.action, row.details, row.created_at], ['mallory', 'session.login', '{"truncated":true}', 5])
  })
})
