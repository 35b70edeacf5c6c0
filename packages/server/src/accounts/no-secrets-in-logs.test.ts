import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, GOOD_PASSWORD, login, postLogin } from './accounts.test.helper.js'
import { totpCode } from './totp.js'

describe('logs of the accounts routes (at trace level)', () => {
  it('never contain a password, TOTP secret or code, recovery code, session or CSRF token, or API key', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / 30_000) * 30_000 + 5_000
    await addAdmin(a, 'alice')
    const wrongPassword = 'wrong but secret password 1'
    await postLogin(a, { username: 'alice', password: wrongPassword })
    const s = await login(a, 'alice')
    const enrol = (await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })).json()
    const code = totpCode(enrol.secret, a.clock.now)
    const confirm = (await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code } })).json()
    a.clock.now += 30_000
    const code2 = totpCode(enrol.secret, a.clock.now)
    const s2 = await login(a, 'alice', { totp: code2 })
    await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, recoveryCode: confirm.recoveryCodes[0] })
    const newPassword = 'a brand new passphrase 9'
    await a.app.inject({ method: 'POST', url: '/v1/me/password', headers: s2.headers, payload: { currentPassword: GOOD_PASSWORD, newPassword } })
    const key = (await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: s2.headers, payload: { name: 'ci', scopes: ['read'] } })).json()
    await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers: { authorization: `Bearer ${key.key}` } })
    // A refused request logs its error too.
    await a.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: s2.headers.cookie, 'x-csrf-token': s.csrfToken }, payload: {} })

    const out = a.lines.join('')
    assert.ok(out.length > 1000, 'the requests were logged')
    const secrets = {
      GOOD_PASSWORD, wrongPassword, newPassword, totpSecret: enrol.secret, code, code2,
      recovery: confirm.recoveryCodes[0], token: s.token, token2: s2.token, csrf: s.csrfToken, csrf2: s2.csrfToken,
      apiKeySecret: key.key.slice(13),
    }
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!out.includes(secret), `${name} leaked into the logs`)
    const events = await a.db.selectFrom('audit_events').select('details').execute()
    const trail = JSON.stringify(events)
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!trail.includes(secret), `${name} leaked into the audit trail`)
  })
})
