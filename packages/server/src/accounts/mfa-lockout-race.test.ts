/**
 * The lockout holds for TOTP guesses at login under concurrency (security
 * re-review N1), on SQLite and PostgreSQL: password-only requests (right
 * password, no code) racing wrong-code requests never give an attempt back,
 * so at most 5 of the burst are ever checked and the account locks. Read
 * from the database and the audit trail (`details.reason`), not timings.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, auditEvents, BACKENDS, GOOD_PASSWORD, login, postLogin, type AccountsApp } from './accounts.test.helper.js'
import { totpCode } from './totp.js'

const STEP = 30_000

/** Enrols and confirms TOTP for `username` through the routes; returns the secret. */
async function enableTotp(a: AccountsApp, username: string): Promise<string> {
  const s = await login(a, username)
  const start = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
  assert.equal(start.statusCode, 200, start.body)
  const { secret } = start.json()
  const confirm = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code: totpCode(secret, a.clock.now) } })
  assert.equal(confirm.statusCode, 200, confirm.body)
  return secret
}

/** `n` six-digit codes none of which is valid around `now`. */
function wrongCodes(secret: string, now: number, n: number): string[] {
  const valid = new Set([-2, -1, 0, 1, 2].map((k) => totpCode(secret, now + k * STEP)))
  const codes: string[] = []
  for (let i = 0; codes.length < n; i++) {
    const c = String(100_000 + i * 7_919).padStart(6, '0')
    if (!valid.has(c)) codes.push(c)
  }
  return codes
}

for (const [backend, skip] of BACKENDS) {
  describe(`TOTP guesses at login under a concurrent burst (${backend})`, { skip }, () => {
    it('checks at most 5 of 40 wrong codes raced with 10 password-only requests, and locks the account', async (t) => {
      const a = await accountsApp(t, { backend })
      a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
      await addAdmin(a, 'alice')
      const secret = await enableTotp(a, 'alice')
      assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 0)

      const codes = wrongCodes(secret, a.clock.now, 40)
      // Interleaved: every 5th request is password-only, the rest carry a wrong code.
      const bodies = Array.from({ length: 50 }, (_, i) =>
        i % 5 === 0 ? { username: 'alice', password: GOOD_PASSWORD } : { username: 'alice', password: GOOD_PASSWORD, totp: codes.pop()! },
      )
      const burst = await Promise.all(bodies.map((b, i) => postLogin(a, b, `10.8.0.${i + 1}`)))
      assert.ok(burst.every((r) => r.statusCode === 401), 'no request signs in')

      const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
      assert.equal(row.failed_logins, 50, 'every request counted, none given back')
      assert.ok(row.locked_until !== null && Number(row.locked_until) > a.clock.now, 'locked')
      const reasons = (await auditEvents(a.db, 'session.login')).map((e) => JSON.parse(e.details).reason as string).filter((r) => r !== 'ok')
      assert.equal(reasons.length, 50)
      const checked = reasons.filter((r) => r === 'bad-totp' || r === 'mfa-required').length
      assert.equal(checked, 5, 'exactly 5 requests got past the lock')
      assert.ok(reasons.filter((r) => r === 'bad-totp').length <= 5, 'no wrong code beyond the limit was verified')
      assert.equal(reasons.filter((r) => r === 'locked').length, 45)

      const right = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now + STEP) }, '10.8.9.9')
      assert.deepEqual([right.statusCode, right.json().code], [401, 'SRV_UNAUTHENTICATED'], 'locked: the right password and code are refused too')
    })

    it('at count 4, a password-only request locks the account and the wrong code raced with it is never verified', async (t) => {
      const a = await accountsApp(t, { backend })
      a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
      const id = await addAdmin(a, 'alice')
      const secret = await enableTotp(a, 'alice')
      await a.db.updateTable('admins').set({ failed_logins: 4 }).where('id', '=', id).execute()
      const [wrong] = wrongCodes(secret, a.clock.now, 1)
      const [noCode, withCode] = await Promise.all([
        postLogin(a, { username: 'alice', password: GOOD_PASSWORD }, '10.8.1.1'),
        postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: wrong }, '10.8.1.2'),
      ])
      assert.deepEqual([noCode!.statusCode, withCode!.statusCode], [401, 401])
      const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
      assert.equal(row.failed_logins, 6)
      assert.ok(row.locked_until !== null, 'the lock set by the 5th attempt stays')
      const reasons = (await auditEvents(a.db, 'session.login')).map((e) => JSON.parse(e.details).reason as string).filter((r) => r !== 'ok').sort()
      assert.equal(reasons.filter((r) => r === 'locked').length, 1, 'one of the two found the account locked')
      // Then 40 more wrong codes, one after another: none is checked.
      for (const [i, c] of wrongCodes(secret, a.clock.now, 40).entries()) await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: c }, `10.8.2.${i + 1}`)
      const after = (await auditEvents(a.db, 'session.login')).map((e) => JSON.parse(e.details).reason as string)
      assert.ok(after.filter((r) => r === 'bad-totp').length <= 1, 'no wrong code verified once locked')
      assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 46)
    })
  })
}
