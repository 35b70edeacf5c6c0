import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createApiKey } from '../auth/api-key.js'
import { accountsApp, addAdmin, auditEvents, login } from '../accounts/accounts.test.helper.js'

const DAY = 86_400_000

describe('API keys of an org', () => {
  it('creates a key shown once, stores only its hash, lists it with its creator and last use, and the key works', async (t) => {
    const a = await accountsApp(t)
    const olga = await addAdmin(a, 'olga')
    const s = await login(a, 'olga')
    const created = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: s.headers, payload: { name: 'ci', scopes: ['read', 'commands'] } })
    assert.equal(created.statusCode, 201, created.body)
    const k = created.json()
    assert.match(k.key, /^pal_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/)
    assert.equal(k.key.slice(4, 12), k.prefix)
    assert.deepEqual(k.scopes, ['read', 'commands'])
    assert.equal(k.expiresAt, a.clock.now + 90 * DAY)
    const row = await a.db.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow()
    assert.equal(row.secret_hash, createHash('sha256').update(k.key.slice(13)).digest('hex'))
    assert.equal(row.created_by, olga)

    a.clock.now += 1000
    const use = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: { authorization: `Bearer ${k.key}` } })
    assert.equal(use.statusCode, 200, use.body)
    const list = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/api-keys', headers: s.headers })
    assert.equal(list.statusCode, 200, list.body)
    const item = list.json().apiKeys.find((x: Record<string, unknown>) => x['id'] === k.id)
    assert.deepEqual(item, {
      id: k.id, name: 'ci', prefix: k.prefix, scopes: ['read', 'commands'], createdAt: a.clock.now - 1000, createdBy: olga,
      expiresAt: k.expiresAt, revokedAt: null, lastUsedAt: a.clock.now, lastUsedAddr: '127.0.0.1',
    })
    assert.ok(!list.body.includes(k.key.slice(13)) && !list.body.includes(row.secret_hash))
    const [e] = await auditEvents(a.db, 'apikey.create')
    assert.deepEqual([e!.org_id, e!.target_id, e!.actor_id], ['acme', k.id, olga])
    assert.ok(!e!.details.includes(k.key.slice(13)))
  })

  it('expires keys after expiresInDays (1..365), refusing other values', async (t) => {
    const a = await accountsApp(t)
    const post = (body: Record<string, unknown>) => a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: a.acmeKey, payload: body })
    const k = (await post({ name: 'short', scopes: ['read'], expiresInDays: 1 })).json()
    const auth = { authorization: `Bearer ${k.key}` }
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: auth })).statusCode, 200)
    a.clock.now += DAY
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: auth })).statusCode, 401)
    for (const bad of [0, 366, 1.5, '7']) {
      const r = await post({ name: 'x', scopes: ['read'], expiresInDays: bad })
      assert.equal(r.statusCode, 400, String(bad))
      assert.match(r.json().errors[0].path, /expiresInDays/)
    }
    for (const scopes of [[], ['root'], ['read', 'read']]) assert.equal((await post({ name: 'x', scopes })).statusCode, 400, JSON.stringify(scopes))
    assert.equal((await post({ name: 'bad\u0007name', scopes: ['read'] })).json().errors[0].path, '/body/name')
  })

  it('revokes idempotently; another org\'s key is not found', async (t) => {
    const a = await accountsApp(t)
    const k = (await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: a.acmeKey, payload: { name: 'tmp', scopes: ['read'] } })).json()
    const theirs = await createApiKey(a.db, 'globex', 'theirs', ['admin'], { now: a.clock.now })
    const first = await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/api-keys/${k.id}`, headers: a.acmeKey })
    assert.equal(first.statusCode, 200, first.body)
    a.clock.now += 5000
    const second = await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/api-keys/${k.id}`, headers: a.acmeKey })
    assert.deepEqual(second.json(), first.json(), 'a no-op keeps the first revocation time')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: { authorization: `Bearer ${k.key}` } })).statusCode, 401)
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/api-keys/${theirs.id}`, headers: a.acmeKey })).statusCode, 404)
    const globexRow = await a.db.selectFrom('api_keys').select('revoked_at').where('id', '=', theirs.id).executeTakeFirstOrThrow()
    assert.equal(globexRow.revoked_at, null)
  })

  it('refuses callers without org:admin: a devices-scope key and a helpdesk session get 403', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'hank', { acme: 'helpdesk' })
    const devicesKey = await createApiKey(a.db, 'acme', 'devices', ['devices'], { now: a.clock.now })
    const r = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: { authorization: `Bearer ${devicesKey.key}` }, payload: { name: 'esc', scopes: ['admin'] } })
    assert.equal(r.statusCode, 403)
    const s = await login(a, 'hank')
    const h = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: s.headers, payload: { name: 'esc', scopes: ['read'] } })
    assert.equal(h.statusCode, 403)
    assert.equal((await a.db.selectFrom('api_keys').select('id').where('name', '=', 'esc').execute()).length, 0)
  })
})
