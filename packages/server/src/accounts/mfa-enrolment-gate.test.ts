/**
 * Orgs that require MFA, end to end (security review L5), and re-entering
 * the password to enrol TOTP (L4): an admin without TOTP signs in to a
 * session that may only enrol; GET /v1/me says what is needed; confirming
 * a first code opens the org.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, GOOD_PASSWORD, login } from './accounts.test.helper.js'
import { totpCode } from './totp.js'

const STEP = 30_000

describe('an org requiring MFA, for an admin without TOTP', () => {
  it('opens a session that may only enrol; /v1/me explains; a confirmed code opens the org', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice', { acme: 'admin', globex: 'read-only' })
    await a.db.updateTable('orgs').set({ require_mfa: 1 }).where('id', '=', 'acme').execute()
    const s = await login(a, 'alice')
    assert.deepEqual([s.body['mfa'], s.body['mfaEnrolmentRequiredBy']], [false, ['acme']])
    const session = await a.db.selectFrom('sessions').select('mfa').executeTakeFirstOrThrow()
    assert.equal(session.mfa, 0)

    const me = (await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).json()
    assert.deepEqual([me.session.mfa, me.session.mfaEnrolmentRequiredBy, me.orgs], [false, ['acme'], []])
    for (const url of ['/v1/orgs/acme/devices', '/v1/orgs/globex/devices', '/v1/me/sessions']) {
      const r = await a.app.inject({ method: 'GET', url, headers: s.headers })
      assert.deepEqual([r.statusCode, r.json().code], [403, 'SRV_MFA_REQUIRED'], url)
    }

    const noPassword = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: {} })
    assert.equal(noPassword.statusCode, 400)
    const wrong = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: 'not the password at all' } })
    assert.deepEqual([wrong.statusCode, wrong.json().errors[0].path], [403, '/body/password'])
    assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 1, 'counted by the lockout')
    const start = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
    assert.equal(start.statusCode, 200, start.body)
    const confirm = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code: totpCode(start.json().secret, a.clock.now) } })
    assert.equal(confirm.statusCode, 200, confirm.body)

    const after = (await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).json()
    assert.deepEqual([after.session.mfa, after.session.mfaEnrolmentRequiredBy, after.orgs.map((o: { id: string }) => o.id)], [true, [], ['acme', 'globex']])
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/devices', headers: s.headers })).statusCode, 200)
  })

  it('keeps sessions of admins whose orgs do not require MFA as before', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'bob', { globex: 'owner' })
    const s = await login(a, 'bob')
    assert.equal(s.body['mfaEnrolmentRequiredBy'], undefined)
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/globex/devices', headers: s.headers })).statusCode, 200)
  })
})
