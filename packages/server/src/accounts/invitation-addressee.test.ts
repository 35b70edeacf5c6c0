/**
 * An invitation belongs to the account its name resolved to when it was
 * sent (security re-review N2): a stranger who later creates an account
 * with an invited, unverified email (any org's admin can create accounts)
 * neither sees nor accepts it.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, BACKENDS, GOOD_PASSWORD, login } from './accounts.test.helper.js'
import { accountKey } from './invitations.js'

describe('invitation addressee', () => {
  it('stores nothing for a name no account holds, so an account created later with that email gets nothing', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga', { acme: 'owner' })
    await addAdmin(a, 'gary', { globex: 'owner' })
    const acme = await login(a, 'olga')
    const invite = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: acme.headers, payload: { email: 'bob@contractor.example', role: 'owner' } })
    assert.equal(invite.statusCode, 202, invite.body)
    assert.deepEqual(await a.db.selectFrom('admin_invitations').selectAll().execute(), [], 'no account had that email: nothing stored')

    const globex = await login(a, 'gary')
    const made = await a.app.inject({
      method: 'POST', url: '/v1/orgs/globex/admins', headers: globex.headers,
      payload: { username: 'bob', email: 'bob@contractor.example', name: 'Not Bob', password: GOOD_PASSWORD, role: 'read-only' },
    })
    assert.equal(made.statusCode, 201, made.body)
    const bob = await login(a, 'bob')
    const list = await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: bob.headers })
    assert.deepEqual(list.json().invitations, [])
    const accept = await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${invite.json().invitation.id}/accept`, headers: bob.headers, payload: {} })
    assert.equal(accept.statusCode, 404)
    const me = (await a.app.inject({ method: 'GET', url: '/v1/me', headers: bob.headers })).json()
    assert.deepEqual(me.orgs.map((o: Record<string, unknown>) => o['id']), ['globex'], 'not an admin, let alone an owner, of acme')
  })

  it('addresses an existing account by its id: the holder of the name later, or of an old name-keyed row, gets nothing', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga', { acme: 'owner' })
    const mspId = await addAdmin(a, 'msp', { globex: 'owner' })
    const stranger = await addAdmin(a, 'eve', { globex: 'read-only' })
    const r = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: { email: 'msp@example.com', role: 'admin' } })
    assert.equal(r.statusCode, 202, r.body)
    const rows = await a.db.selectFrom('admin_invitations').select(['id', 'identifier', 'identifier_key']).execute()
    assert.deepEqual(rows, [{ id: r.json().invitation.id, identifier: 'msp@example.com', identifier_key: accountKey(mspId) }])

    // The email moves to another account after the invitation was sent.
    await a.db.updateTable('admins').set({ email: 'msp-old@example.com', email_key: 'msp-old@example.com' }).where('id', '=', mspId).execute()
    await a.db.updateTable('admins').set({ email: 'msp@example.com', email_key: 'msp@example.com' }).where('id', '=', stranger).execute()
    // A row written before names were resolved, keyed by the name.
    await a.db.insertInto('admin_invitations').values({ id: 'old-row', org_id: 'acme', identifier: 'eve', identifier_key: 'eve', role: 'owner', created_by: 'x', created_at: a.clock.now, expires_at: a.clock.now + 60_000 }).execute()

    const eve = await login(a, 'eve')
    assert.deepEqual((await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: eve.headers })).json().invitations, [])
    for (const id of [r.json().invitation.id, 'old-row']) {
      assert.equal((await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${id}/accept`, headers: eve.headers, payload: {} })).statusCode, 404, id)
    }
    const msp = await login(a, 'msp')
    const mine = (await a.app.inject({ method: 'GET', url: '/v1/me/invitations', headers: msp.headers })).json().invitations
    assert.deepEqual(mine.map((i: any) => [i.id, i.org.id, i.role]), [[r.json().invitation.id, 'acme', 'admin']])
    const accept = await a.app.inject({ method: 'POST', url: `/v1/me/invitations/${mine[0].id}/accept`, headers: msp.headers, payload: {} })
    assert.deepEqual([accept.statusCode, accept.json()], [200, { org: 'acme', role: 'admin' }])
  })

  for (const [backend, skip] of BACKENDS) {
    it(`replaces a pending invitation of the same account, also when two race (${backend})`, { skip }, async (t) => {
      const a = await accountsApp(t, { backend })
      await addAdmin(a, 'olga', { acme: 'owner' })
      const mspId = await addAdmin(a, 'msp', { globex: 'owner' })
      const post = (body: Record<string, unknown>) => a.app.inject({ method: 'POST', url: '/v1/orgs/acme/admins', headers: a.acmeKey, payload: body })
      const answers = await Promise.all([post({ username: 'msp', role: 'admin' }), post({ email: 'MSP@example.com', role: 'helpdesk' }), post({ username: 'MSP', role: 'read-only' })])
      assert.deepEqual(answers.map((r) => r.statusCode), [202, 202, 202], answers.map((r) => r.body).join('\n'))
      const rows = await a.db.selectFrom('admin_invitations').select(['id', 'identifier_key']).execute()
      assert.equal(rows.length, 1, 'one pending invitation per account and org')
      assert.equal(rows[0]!.identifier_key, accountKey(mspId))
      assert.ok(answers.some((r) => r.json().invitation.id === rows[0]!.id), 'the one kept is one that was answered')
    })
  }
})
