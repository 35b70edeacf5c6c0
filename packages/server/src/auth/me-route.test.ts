import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accessTestApp, type AccessTestApp } from './access-app.test.helper.js'
import { meRoute } from './me-route.js'
import { createAdmin, createKey, createSession } from './principals.test.helper.js'

let t: AccessTestApp
before(async () => {
  t = await accessTestApp([meRoute])
})
after(() => t.close())

describe('GET /v1/me', () => {
  it('names the admin, the session and each org with its role', async () => {
    const admin = await createAdmin(t.db, 'Ada', { globex: 'read-only', acme: 'owner' }, { totp: true })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: s.read })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), {
      admin: { id: admin.id, username: 'Ada', email: 'Ada@example.com', name: 'Test Ada', mfaEnabled: true },
      session: { id: s.id, mfa: true, mfaEnrolmentRequiredBy: [] },
      orgs: [
        { id: 'acme', name: 'Acme', role: 'owner', requireMfa: false },
        { id: 'globex', name: 'Globex', role: 'read-only', requireMfa: false },
      ],
    })
  })

  it('answers a session that has not passed MFA, without its orgs', async () => {
    const admin = await createAdmin(t.db, 'half', { acme: 'owner' }, { totp: true })
    const s = await createSession(t.db, admin.id, { now: t.clock.now, mfa: false })
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: s.read })
    assert.equal(res.statusCode, 200)
    assert.deepEqual([res.json().session.mfa, res.json().orgs], [false, []])
  })

  it('refuses API keys (403) and anonymous callers (401)', async () => {
    const { auth } = await createKey(t.db, 'acme', ['admin'])
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: auth })).statusCode, 403)
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me' })).statusCode, 401)
  })
})
