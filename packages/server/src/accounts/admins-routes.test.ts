import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createApiKey } from '../auth/api-key.js'
import { accountsApp, addAdmin, auditEvents, BACKENDS, GOOD_PASSWORD, login, postLogin } from './accounts.test.helper.js'

const NEW = { username: 'carol', email: 'carol@example.com', name: 'Carol C', password: GOOD_PASSWORD, role: 'admin' }

describe('admins of an org', () => {
  it('creates an account with a role, lists it, and the new admin can sign in', async (t) => {
    const a = await accountsApp(t)
    const ownerId = await addAdmin(a, 'olga')
    const owner = await login(a, 'olga')
    const created = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: owner.headers, payload: NEW })
    assert.equal(created.statusCode, 201, created.body)
    const c = created.json()
    assert.deepEqual({ ...c, id: undefined, createdAt: undefined }, { id: undefined, createdAt: undefined, username: 'carol', email: 'carol@example.com', name: 'Carol C', role: 'admin', status: 'active', mfaEnabled: false, version: 1 })
    const list = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/admins', headers: owner.headers })
    assert.deepEqual(list.json().admins.map((x: Record<string, unknown>) => [x['username'], x['role']]), [['carol', 'admin'], ['olga', 'owner']])
    await login(a, 'carol')
    const [e] = await auditEvents(a.db, 'admin.add')
    assert.deepEqual([e!.org_id, e!.actor_id, e!.target_id, e!.result], ['acme', ownerId, c.id, 'success'])
    assert.ok(!e!.details.includes(GOOD_PASSWORD))
  })

  it('refuses a taken username or email with one answer that does not say which, and weak passwords', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    const post = (body: Record<string, unknown>) => a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: body })
    assert.equal((await post(NEW)).statusCode, 201)
    const dupUser = await post({ ...NEW, username: 'CAROL', email: 'other@example.com' })
    const dupEmail = await post({ ...NEW, username: 'carol2', email: 'Carol@Example.com' })
    for (const r of [dupUser, dupEmail]) {
      assert.equal(r.statusCode, 409)
      assert.deepEqual([r.json().code, r.json().errors.map((e: { path: string }) => e.path)], ['SRV_DUPLICATE', ['/body/username', '/body/email']])
    }
    const { instance: _u, ...u } = dupUser.json()
    const { instance: _e, ...e } = dupEmail.json()
    assert.deepEqual(u, e, 'a taken username and a taken email answer alike')
    const weak = await post({ ...NEW, username: 'dave', email: 'dave@example.com', password: 'short' })
    assert.equal(weak.statusCode, 400)
    assert.equal(weak.json().errors[0].path, '/body/password')
    const badName = await post({ ...NEW, username: 'a@b', email: 'x@example.com' })
    assert.equal(badName.json().errors[0].path, '/body/username')
  })

  it('invites an existing account (MSP operator): one answer whether it exists or not, nothing shown until the holder accepts', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    const mspId = await addAdmin(a, 'msp', { globex: 'owner' })
    const post = (body: Record<string, unknown>) => a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: body })
    const real = await post({ username: 'MSP', role: 'helpdesk' })
    const ghost = await post({ username: 'ghost', role: 'helpdesk' })
    const byEmail = await post({ email: 'nobody@example.com', role: 'admin' })
    for (const r of [real, ghost, byEmail]) assert.equal(r.statusCode, 202, r.body)
    const shape = (r: typeof real) => Object.keys(r.json().invitation).sort()
    assert.deepEqual(shape(real), ['expiresAt', 'id', 'identifier', 'role'])
    assert.deepEqual(shape(real), shape(ghost))
    assert.equal(real.json().invitation.identifier, 'MSP', 'only what the inviter typed')
    assert.ok(!real.body.includes(mspId) && !real.body.includes('msp@example.com'))
    const admins = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/admins', headers: a.acmeKey })
    assert.ok(!admins.body.includes('msp'), 'not an admin of acme before accepting')
    assert.deepEqual([(await post({ username: 'olga', role: 'admin' })).json().code], ['SRV_DUPLICATE'], 'an admin already of this org')
    assert.equal((await post({ username: 'msp', role: 'admin', name: 'x' })).statusCode, 400)
    assert.equal((await post({ role: 'admin' })).json().errors[0].path, '/body/username')

    const s = await login(a, 'msp')
    const list = await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: s.headers })
    assert.equal(list.statusCode, 200, list.body)
    const invitations = list.json().invitations
    assert.deepEqual(invitations.map((i: any) => [i.org.id, i.org.name, i.role]), [['acme', 'Acme', 'helpdesk']])
    const other = await login(a, 'olga')
    assert.equal((await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${invitations[0].id}/accept`, headers: other.headers, payload: {} })).statusCode, 404, 'not addressed to olga')
    const accept = await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${invitations[0].id}/accept`, headers: s.headers, payload: {} })
    assert.deepEqual([accept.statusCode, accept.json()], [200, { org: 'acme', role: 'helpdesk' }])
    assert.equal((await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${invitations[0].id}/accept`, headers: s.headers, payload: {} })).statusCode, 404, 'used up')
    const me = (await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).json()
    assert.deepEqual(me.orgs.map((o: Record<string, unknown>) => [o['id'], o['role']]), [['acme', 'helpdesk'], ['globex', 'owner']])
    const accepted = (await auditEvents(a.db, 'invitation.accept')).filter((e) => e.result === 'success')
    assert.deepEqual(accepted.map((e) => e.org_id).sort(), ['acme', 'globex'], "in each of the accepter's orgs")
  })

  it("lets the holder decline: the inviting org's trail does not learn of it", async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    await addAdmin(a, 'msp', { globex: 'owner' })
    await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: { email: 'MSP@example.com', role: 'admin' } })
    const s = await login(a, 'msp')
    const [inv] = (await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: s.headers })).json().invitations
    const decline = await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${inv.id}/decline`, headers: s.headers, payload: {} })
    assert.equal(decline.statusCode, 200, decline.body)
    assert.deepEqual((await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: s.headers })).json().invitations, [])
    assert.deepEqual((await auditEvents(a.db, 'invitation.decline')).map((e) => e.org_id), ['globex'])
    a.clock.now += 8 * 24 * 3_600_000
    await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: { username: 'msp', role: 'admin' } })
    a.clock.now += 8 * 24 * 3_600_000
    assert.deepEqual((await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: (await login(a, 'msp')).headers })).json().invitations, [], 'expired')
  })

  it('changes role and status with optimistic concurrency, and never loses the last owner', async (t) => {
    const a = await accountsApp(t)
    const olga = await addAdmin(a, 'olga')
    const carol = await addAdmin(a, 'carol', { acme: 'admin' })
    const patch = (id: string, body: Record<string, unknown>) => a.app.inject({ method: 'PATCH', url: `/v1/orgs/acme/admins/${id}`, headers: a.acmeKey, payload: body })
    const up = await patch(carol, { role: 'owner', version: 1 })
    assert.equal(up.statusCode, 200, up.body)
    assert.deepEqual([up.json().role, up.json().version], ['owner', 2])
    const stale = await patch(carol, { role: 'admin', version: 1 })
    assert.deepEqual([stale.statusCode, stale.json().code], [409, 'SRV_CONFLICT'])
    assert.equal((await patch(olga, { role: 'read-only', version: 1 })).statusCode, 200, 'olga may step down: carol is owner now')
    const last = await patch(carol, { role: 'admin', version: 2 })
    assert.deepEqual([last.statusCode, last.json().code], [409, 'SRV_LAST_OWNER'])
    assert.equal((await patch(carol, { status: 'disabled', version: 2 })).json().code, 'SRV_LAST_OWNER')
    const del = await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/admins/${carol}`, headers: a.acmeKey })
    assert.equal(del.json().code, 'SRV_LAST_OWNER')

    const s = await login(a, 'olga')
    const disable = await patch(olga, { status: 'disabled', version: 2 })
    assert.equal(disable.statusCode, 200, disable.body)
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).statusCode, 401)
    assert.equal((await postLogin(a, { username: 'olga', password: GOOD_PASSWORD })).statusCode, 401)
  })

  it('removes a role; an account of another org is not found; a shared account keeps its other org', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    const gus = await addAdmin(a, 'gus', { globex: 'owner' })
    const msp = await addAdmin(a, 'msp', { acme: 'admin', globex: 'admin' })
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/admins/${gus}`, headers: a.acmeKey })).statusCode, 404)
    assert.equal((await a.app.inject({ method: 'PATCH', url: `/v1/orgs/acme/admins/${gus}`, headers: a.acmeKey, payload: { role: 'admin', version: 1 } })).statusCode, 404)
    const status = await a.app.inject({ method: 'PATCH', url: `/v1/orgs/acme/admins/${msp}`, headers: a.acmeKey, payload: { status: 'disabled', version: 1 } })
    assert.equal(status.json().code, 'SRV_CONFLICT', 'one org cannot disable an account serving another')
    const s = await login(a, 'msp')
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/admins/${msp}`, headers: a.acmeKey })).statusCode, 200)
    const me = await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })
    assert.deepEqual(me.json().orgs.map((o: Record<string, unknown>) => o['id']), ['globex'])
  })

  it('reads and sets the org settings (requireMfa), which the access hook then enforces', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    const s = await login(a, 'olga')
    assert.deepEqual((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: s.headers })).json(), { requireMfa: false })
    const set = await a.app.inject({ method: 'PATCH', url: '/v1/orgs/acme/settings', headers: s.headers, payload: { requireMfa: true } })
    assert.equal(set.statusCode, 200, set.body)
    assert.deepEqual(set.json(), { requireMfa: true })
    const now = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: s.headers })
    assert.equal(now.json().code, 'SRV_MFA_REQUIRED', 'an admin without TOTP is refused in the org now')
    assert.equal((await a.app.inject({ method: 'PATCH', url: '/v1/orgs/acme/settings', headers: a.acmeKey, payload: { requireMfa: 'yes' } })).statusCode, 400)
    const events = await auditEvents(a.db, 'org.settings')
    assert.deepEqual(events.map((e) => e.result).sort(), ['failure', 'success'])
    assert.equal(JSON.parse(events.find((e) => e.result === 'success')!.details).requireMfa, true)
  })
})

for (const [backend, skip] of BACKENDS) {
  describe(`the last-owner rule under concurrency (${backend})`, { skip }, () => {
    it('never leaves the org without an owner when its two owners are demoted and removed at once', async (t) => {
      const a = await accountsApp(t, { backend })
      for (let round = 0; round < 5; round++) {
        const x = await addAdmin(a, `owner-x${round}`, { globex: 'owner' })
        const y = await addAdmin(a, `owner-y${round}`, { globex: 'owner' })
        await a.db.deleteFrom('admin_roles').where('org_id', '=', 'globex').where('admin_id', 'not in', [x, y]).execute()
        const globexKey = await createApiKey(a.db, 'globex', 'k', ['admin'], { now: a.clock.now })
        const h = { authorization: `Bearer ${globexKey.key}` }
        const results = await Promise.all([
          a.app.inject({ method: 'PATCH', url: `/v1/orgs/globex/admins/${x}`, headers: h, payload: { role: 'admin', version: 1 } }),
          round % 2 === 0
            ? a.app.inject({ method: 'PATCH', url: `/v1/orgs/globex/admins/${y}`, headers: h, payload: { role: 'read-only', version: 1 } })
            : a.app.inject({ method: 'DELETE', url: `/v1/orgs/globex/admins/${y}`, headers: h }),
        ])
        const owners = await a.db.selectFrom('admin_roles').select('admin_id').where('org_id', '=', 'globex').where('role', '=', 'owner').execute()
        assert.equal(owners.length, 1, `round ${round}: ${results.map((r) => `${r.statusCode} ${r.body}`).join(' | ')}`)
        assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409])
        assert.ok(results.some((r) => r.json().code === 'SRV_LAST_OWNER'))
      }
    })
  })
}
