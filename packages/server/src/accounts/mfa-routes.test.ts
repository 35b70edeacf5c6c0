import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, auditEvents, BACKENDS, GOOD_PASSWORD, login, postLogin, type AccountsApp, type TestSession } from './accounts.test.helper.js'
import { totpCode } from './totp.js'

const STEP = 30_000

/** Enrols and confirms TOTP for the session; returns the secret and recovery codes. */
async function enableTotp(a: AccountsApp, s: TestSession): Promise<{ secret: string; recoveryCodes: string[] }> {
  const start = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
  assert.equal(start.statusCode, 200, start.body)
  const { secret } = start.json()
  const confirm = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code: totpCode(secret, a.clock.now) } })
  assert.equal(confirm.statusCode, 200, confirm.body)
  return { secret, recoveryCodes: confirm.json().recoveryCodes }
}

describe('TOTP enrolment', () => {
  it('hands out a secret, URI and QR code once, stores the secret sealed, and enables it with a first code', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    const id = await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const start = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
    assert.equal(start.statusCode, 200, start.body)
    const { secret, otpauthUri, qrSvg } = start.json()
    assert.match(secret, /^[A-Z2-7]{32}$/)
    assert.equal(otpauthUri, `otpauth://totp/Palisade:alice?issuer=Palisade&secret=${secret}&algorithm=SHA1&digits=6&period=30`)
    assert.match(qrSvg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    const row = await a.db.selectFrom('admins').select(['totp_secret', 'totp_enabled_at']).where('id', '=', id).executeTakeFirstOrThrow()
    assert.ok(row.totp_secret !== null && row.totp_secret.startsWith('v1.') && !row.totp_secret.includes(secret))
    assert.equal(row.totp_enabled_at, null)

    const wrong = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code: totpCode(secret, a.clock.now + 5 * STEP) } })
    assert.equal(wrong.json().code, 'SRV_MFA_CODE_INVALID')
    const ok = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code: totpCode(secret, a.clock.now) } })
    assert.equal(ok.statusCode, 200, ok.body)
    const codes: string[] = ok.json().recoveryCodes
    assert.equal(codes.length, 10)
    assert.equal(new Set(codes).size, 10)
    for (const c of codes) assert.match(c, /^[a-z2-7]{5}-[a-z2-7]{5}$/)
    const stored = await a.db.selectFrom('recovery_codes').select('code_hash').where('admin_id', '=', id).execute()
    assert.equal(stored.length, 10)
    assert.ok(stored.every((r) => /^[0-9a-f]{64}$/.test(r.code_hash)))

    const again = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
    assert.equal(again.statusCode, 409, 'an enabled secret is not silently replaced')
    assert.deepEqual((await auditEvents(a.db, 'mfa.enable')).map((e) => e.result).sort(), ['failure', 'success'])
  })
})

describe('login with TOTP', () => {
  it('asks for the code, accepts it once per step (no replay), and accepts each recovery code once', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice')
    const { secret, recoveryCodes } = await enableTotp(a, await login(a, 'alice'))

    const noCode = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD })
    assert.equal(noCode.statusCode, 401)
    assert.equal(noCode.json().code, 'SRV_MFA_CODE_REQUIRED')
    const wrongPasswordNoCode = await postLogin(a, { username: 'alice', password: 'wrong password entirely' })
    assert.equal(wrongPasswordNoCode.json().code, 'SRV_UNAUTHENTICATED', 'the MFA question comes only after the right password')

    a.clock.now += STEP
    const code = totpCode(secret, a.clock.now)
    const s = await login(a, 'alice', { totp: code })
    assert.equal(s.body['mfa'], true)
    const replay = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: code })
    assert.equal(replay.json().code, 'SRV_MFA_CODE_INVALID')
    const previous = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now - STEP) })
    assert.equal(previous.json().code, 'SRV_MFA_CODE_INVALID', 'an older step after a newer one is refused')
    await login(a, 'alice', { totp: totpCode(secret, a.clock.now + STEP) })

    const rc = recoveryCodes[3]!
    const r1 = await login(a, 'alice', { recoveryCode: rc.toUpperCase().replace('-', '') })
    assert.equal(r1.body['mfa'], true)
    const r2 = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, recoveryCode: rc })
    assert.equal(r2.json().code, 'SRV_MFA_CODE_INVALID')
    const reasons = (await auditEvents(a.db, 'session.login')).map((e) => JSON.parse(e.details).reason)
    // Same clock tick: compare as multisets.
    assert.deepEqual(reasons.sort(), ['bad-password', 'bad-recovery-code', 'bad-totp', 'bad-totp', 'mfa-required', 'ok', 'ok', 'ok', 'ok'])
  })

  it('counts wrong codes toward the lockout', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice')
    const { secret } = await enableTotp(a, await login(a, 'alice'))
    for (let i = 0; i < 5; i++) await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now + 10 * STEP) })
    const r = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now + STEP) })
    assert.equal(r.json().code, 'SRV_UNAUTHENTICATED', 'locked: even the right password and code are refused, alike')
    assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 6)
  })

  it('refuses a sealed secret copied into another admin row (bound to its admin id)', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    const aliceId = await addAdmin(a, 'alice')
    const bobId = await addAdmin(a, 'bob')
    const { secret } = await enableTotp(a, await login(a, 'alice'))
    const alice = await a.db.selectFrom('admins').select(['totp_secret', 'totp_enabled_at']).where('id', '=', aliceId).executeTakeFirstOrThrow()
    await a.db.updateTable('admins').set({ totp_secret: alice.totp_secret, totp_enabled_at: alice.totp_enabled_at }).where('id', '=', bobId).execute()
    const r = await postLogin(a, { username: 'bob', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now + STEP) })
    assert.equal(r.statusCode, 503)
    assert.equal(r.headers['set-cookie'], undefined)
  })
})

describe('MFA management', () => {
  it('regenerates recovery codes with the password and a code, invalidating the old ones', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const { secret, recoveryCodes } = await enableTotp(a, s)
    a.clock.now += STEP
    const codeOnly = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers: s.headers, payload: { code: totpCode(secret, a.clock.now) } })
    assert.deepEqual([codeOnly.statusCode, codeOnly.json().errors[0].path], [400, '/body/password'], 'a code alone is not enough')
    const badPassword = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers: s.headers, payload: { password: 'wrong password entirely', code: totpCode(secret, a.clock.now) } })
    assert.deepEqual([badPassword.statusCode, badPassword.json().errors[0].path], [403, '/body/password'])
    const r = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers: s.headers, payload: { password: GOOD_PASSWORD, code: totpCode(secret, a.clock.now) } })
    assert.equal(r.statusCode, 200, r.body)
    assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 0, 'both factors passed: the count is reset')
    const fresh: string[] = r.json().recoveryCodes
    assert.equal(fresh.length, 10)
    assert.equal((await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, recoveryCode: recoveryCodes[0] })).json().code, 'SRV_MFA_CODE_INVALID')
    await login(a, 'alice', { recoveryCode: fresh[0] })
  })

  it('turns TOTP off only with the password and a code, and never while an org of the admin requires MFA', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    const id = await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const { secret } = await enableTotp(a, s)
    a.clock.now += STEP
    const del = (body: Record<string, unknown>) => a.app.inject({ method: 'DELETE', url: '/v1/me/mfa', headers: s.headers, payload: body })

    const badPassword = await del({ password: 'wrong password entirely', code: totpCode(secret, a.clock.now) })
    assert.equal(badPassword.statusCode, 403)
    assert.equal(badPassword.json().errors[0].path, '/body/password')
    const badCode = await del({ password: GOOD_PASSWORD, code: '000000' === totpCode(secret, a.clock.now) ? '111111' : '000000' })
    assert.equal(badCode.json().code, 'SRV_MFA_CODE_INVALID')

    await a.db.updateTable('orgs').set({ require_mfa: 1 }).where('id', '=', 'acme').execute()
    const required = await del({ password: GOOD_PASSWORD, code: totpCode(secret, a.clock.now) })
    assert.equal(required.statusCode, 403)
    assert.match(required.json().detail, /acme/)
    await a.db.updateTable('orgs').set({ require_mfa: 0 }).where('id', '=', 'acme').execute()

    const ok = await del({ password: GOOD_PASSWORD, code: totpCode(secret, a.clock.now + STEP) })
    assert.equal(ok.statusCode, 200, ok.body)
    const row = await a.db.selectFrom('admins').select(['totp_secret', 'totp_enabled_at']).where('id', '=', id).executeTakeFirstOrThrow()
    assert.deepEqual(row, { totp_secret: null, totp_enabled_at: null })
    assert.equal((await a.db.selectFrom('recovery_codes').select('code_hash').where('admin_id', '=', id).execute()).length, 0)
    const plain = await login(a, 'alice')
    assert.equal(plain.body['mfa'], false)
  })
})

/** A six-digit code that is not valid around `now` (the n-th such). */
function wrongCode(secret: string, now: number, n = 0): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((k) => totpCode(secret, now + k * STEP)))
  for (let i = n; ; i++) {
    const c = String(100_000 + i * 7_919).padStart(6, '0')
    if (!valid.has(c)) return c
  }
}

describe('TOTP guesses from a session (security re-review N3)', () => {
  it('counts every wrong code of DELETE /v1/me/mfa and of recovery-codes, a right password resets nothing, and the lock then refuses the right factors', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const { secret } = await enableTotp(a, s)
    a.clock.now += STEP
    const count = async () => (await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins
    const regen = (code: string) => a.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers: s.headers, payload: { password: GOOD_PASSWORD, code } })
    const del = (code: string) => a.app.inject({ method: 'DELETE', url: '/v1/me/mfa', headers: s.headers, payload: { password: GOOD_PASSWORD, code } })

    for (let i = 0; i < 2; i++) {
      const r = await regen(wrongCode(secret, a.clock.now, i))
      assert.deepEqual([r.statusCode, r.json().code, r.json().errors[0].path], [401, 'SRV_MFA_CODE_INVALID', '/body/code'])
      const d = await del(wrongCode(secret, a.clock.now, 10 + i))
      assert.deepEqual([d.statusCode, d.json().code], [401, 'SRV_MFA_CODE_INVALID'])
    }
    assert.equal(await count(), 4, 'the right password sent with each wrong code did not reset the count')
    const fifth = await regen(wrongCode(secret, a.clock.now, 20))
    assert.equal(fifth.json().code, 'SRV_MFA_CODE_INVALID')
    const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
    assert.ok(row.failed_logins === 5 && row.locked_until !== null, 'the 5th wrong code locks')

    const right = await regen(totpCode(secret, a.clock.now))
    assert.deepEqual([right.statusCode, right.json().code], [403, 'SRV_FORBIDDEN'], 'locked: the right code is not even checked')
    assert.equal((await del(totpCode(secret, a.clock.now))).statusCode, 403)
    assert.equal((await postLogin(a, { username: 'alice', password: GOOD_PASSWORD, totp: totpCode(secret, a.clock.now) })).json().code, 'SRV_UNAUTHENTICATED', 'the same lock as login')
    assert.equal(await count(), 8)
    const row2 = await a.db.selectFrom('admins').select(['totp_enabled_at']).executeTakeFirstOrThrow()
    assert.ok(row2.totp_enabled_at !== null, 'MFA still on')
  })

  it('counts wrong codes of the enrolment confirmation', async (t) => {
    const a = await accountsApp(t)
    a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
    await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const start = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: GOOD_PASSWORD } })
    const { secret } = start.json()
    const confirm = (code: string) => a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: s.headers, payload: { code } })
    for (let i = 0; i < 5; i++) assert.equal((await confirm(wrongCode(secret, a.clock.now, i))).json().code, 'SRV_MFA_CODE_INVALID')
    const locked = await confirm(totpCode(secret, a.clock.now))
    assert.deepEqual([locked.statusCode, locked.json().code], [403, 'SRV_FORBIDDEN'])
    // Past the first lock (15 min), keeping the session from idling out on the way.
    a.clock.now += 8 * 60_000
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).statusCode, 200)
    a.clock.now += 8 * 60_000
    const ok = await confirm(totpCode(secret, a.clock.now))
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal((await a.db.selectFrom('admins').select('failed_logins').executeTakeFirstOrThrow()).failed_logins, 0, 'a success resets the count')
  })

  for (const [backend, skip] of BACKENDS) {
    it(`checks at most 5 of 30 parallel wrong codes sent to recovery-codes (${backend})`, { skip }, async (t) => {
      const a = await accountsApp(t, { backend })
      a.clock.now = Math.floor(a.clock.now / STEP) * STEP + 5_000
      await addAdmin(a, 'alice')
      const s = await login(a, 'alice')
      const { secret } = await enableTotp(a, s)
      a.clock.now += STEP
      const burst = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          a.app.inject({ method: 'POST', url: '/v1/me/mfa/recovery-codes', headers: s.headers, payload: { password: GOOD_PASSWORD, code: wrongCode(secret, a.clock.now, i) } }),
        ),
      )
      const answers = burst.map((r) => `${r.statusCode} ${r.json().code}`)
      assert.equal(answers.filter((x) => x === '401 SRV_MFA_CODE_INVALID').length, 5, 'exactly 5 codes were checked')
      assert.equal(answers.filter((x) => x === '403 SRV_FORBIDDEN').length, 25, 'the rest found the account locked')
      const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
      assert.ok(row.failed_logins === 30 && row.locked_until !== null)
    })
  }
})
