import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, auditEvents, GOOD_PASSWORD, login, postLogin } from './accounts.test.helper.js'

describe('POST /v1/me/password', () => {
  it('needs the current password, applies the policy, and revokes every other session', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    const s1 = await login(a, 'alice')
    const s2 = await login(a, 'alice')
    const change = (body: Record<string, unknown>) => a.app.inject({ method: 'POST', url: '/v1/me/password', headers: s1.headers, payload: body })
    const wrong = await change({ currentPassword: 'wrong password entirely', newPassword: 'another fine password 7' })
    assert.equal(wrong.statusCode, 403)
    assert.equal(wrong.json().errors[0].path, '/body/currentPassword')
    const weak = await change({ currentPassword: GOOD_PASSWORD, newPassword: 'alice-alice-alice' })
    assert.equal(weak.statusCode, 400)
    assert.deepEqual(weak.json().errors, [{ path: '/body/newPassword', message: 'must not contain the username (contains-username)' }])
    const ok = await change({ currentPassword: GOOD_PASSWORD, newPassword: 'another fine password 7' })
    assert.equal(ok.statusCode, 200, ok.body)
    assert.deepEqual(ok.json(), { revokedSessions: 1 })
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: s2.headers })).statusCode, 401, 'the other session is gone')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: s1.headers })).statusCode, 200, 'this one stays')
    assert.equal((await postLogin(a, { username: 'alice', password: GOOD_PASSWORD })).statusCode, 401)
    await login(a, 'alice', {}, 'another fine password 7')
    assert.deepEqual((await auditEvents(a.db, 'admin.password-change')).map((e) => e.result).sort(), ['failure', 'failure', 'success'])
  })
})

describe('sessions', () => {
  it('lists my live sessions with the current one marked, and revokes one by id', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    await addAdmin(a, 'bob')
    const s1 = await login(a, 'alice')
    const s2 = await a.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'alice', password: GOOD_PASSWORD }, headers: { 'user-agent': 'second-browser' } })
    const bob = await login(a, 'bob')
    const list = await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: s1.headers })
    assert.equal(list.statusCode, 200, list.body)
    const sessions = list.json().sessions as Array<Record<string, unknown>>
    assert.equal(sessions.length, 2)
    const current = sessions.find((x) => x['current'] === true)!
    const other = sessions.find((x) => x['current'] === false)!
    assert.equal(other['userAgent'], 'second-browser')
    assert.equal(current['sourceAddr'], '127.0.0.1')
    assert.deepEqual(Object.keys(current).sort(), ['createdAt', 'current', 'expiresAt', 'id', 'lastSeenAt', 'sourceAddr', 'userAgent'])

    const bobsId = (await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: bob.headers })).json().sessions[0].id
    const notMine = await a.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${bobsId}`, headers: s1.headers })
    assert.equal(notMine.statusCode, 404)
    const revoke = await a.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${other['id']}`, headers: s1.headers })
    assert.equal(revoke.statusCode, 200, revoke.body)
    const token = /palisade_session=([^;]+)/.exec(String(s2.headers['set-cookie']))![1]
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: `palisade_session=${token}` } })).statusCode, 401)
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: s1.headers })).json().sessions.length, 1)
    const again = await a.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${other['id']}`, headers: s1.headers })
    assert.equal(again.statusCode, 404)
    const events = await auditEvents(a.db, 'session.revoke')
    assert.equal(events.filter((e) => e.result === 'success').length, 1)
  })

  it('hides sessions past their idle timeout', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    await login(a, 'alice')
    a.clock.now += 31 * 60_000
    const s = await login(a, 'alice')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: s.headers })).json().sessions.length, 1)
  })

  it('lets org admins list and revoke the sessions of their org admins only', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga', { acme: 'owner' })
    await addAdmin(a, 'hank', { acme: 'helpdesk' })
    await addAdmin(a, 'gus', { globex: 'owner' })
    const owner = await login(a, 'olga')
    const hank = await login(a, 'hank')
    const gus = await login(a, 'gus')
    const list = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/sessions', headers: owner.headers })
    assert.equal(list.statusCode, 200, list.body)
    const names = (list.json().sessions as Array<Record<string, unknown>>).map((x) => x['username']).sort()
    assert.deepEqual(names, ['hank', 'olga'])
    const gusId = (await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: gus.headers })).json().sessions[0].id
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/sessions/${gusId}`, headers: owner.headers })).statusCode, 404)
    const hankId = (list.json().sessions as Array<Record<string, unknown>>).find((x) => x['username'] === 'hank')!['id']
    const revoke = await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/sessions/${hankId}`, headers: owner.headers })
    assert.equal(revoke.statusCode, 200, revoke.body)
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: hank.headers })).statusCode, 401)
    const helpdesk = await login(a, 'hank')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/sessions', headers: helpdesk.headers })).statusCode, 403)
    const viaKey = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/sessions', headers: a.acmeKey })
    assert.equal(viaKey.statusCode, 200)
  })
})
