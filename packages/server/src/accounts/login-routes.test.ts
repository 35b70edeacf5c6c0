import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { accountsApp, addAdmin, auditEvents, GOOD_PASSWORD, login, postLogin } from './accounts.test.helper.js'

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

describe('POST /v1/auth/login', () => {
  it('opens a session: exact cookie attributes, CSRF token, hashes only in the database, an audit event', async (t) => {
    const a = await accountsApp(t)
    const id = await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    assert.match(String(s.res.headers['set-cookie']), /^palisade_session=[A-Za-z0-9_-]{43}; HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=43200$/)
    assert.deepEqual(s.body['admin'], { id, username: 'alice', name: 'alice', email: 'alice@example.com' })
    assert.equal(s.body['mfa'], false)
    assert.equal(s.body['expiresAt'], a.clock.now + 12 * 3_600_000)
    assert.equal(s.body['idleTimeoutSeconds'], 1800)
    assert.match(s.csrfToken, /^[A-Za-z0-9_-]{43}$/)
    const row = await a.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow()
    assert.equal(row.token_hash, sha256(s.token))
    assert.equal(row.csrf_hash, sha256(s.csrfToken))
    assert.equal(row.admin_id, id)
    const me = await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })
    assert.equal(me.statusCode, 200, me.body)
    assert.equal(me.json().admin.username, 'alice')
    const [event, ...more] = await auditEvents(a.db, 'session.login')
    assert.equal(more.length, 0)
    assert.equal(event!.org_id, 'acme')
    assert.deepEqual([event!.actor_type, event!.actor_id, event!.actor_name, event!.result, event!.status_code], ['admin', id, 'alice', 'success', 200])
    assert.equal(JSON.parse(event!.details).reason, 'ok')
  })

  it('accepts the email instead of the username, ignoring case, and the username in any case', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'Alice')
    await login(a, 'ALICE@example.COM')
    await login(a, 'alice')
    const byEmailField = await postLogin(a, { email: 'alice@example.com', password: GOOD_PASSWORD })
    assert.equal(byEmailField.statusCode, 200)
  })

  it('answers unknown user, wrong password and disabled account identically, and audits each with a reason', async (t) => {
    const a = await accountsApp(t)
    const id = await addAdmin(a, 'alice', { acme: 'owner', globex: 'admin' })
    await addAdmin(a, 'dora')
    await a.db.updateTable('admins').set({ status: 'disabled' }).where('username', '=', 'dora').execute()
    const answers = [
      await postLogin(a, { username: 'nobody-here', password: GOOD_PASSWORD }),
      await postLogin(a, { username: 'alice', password: 'wrong password entirely' }),
      await postLogin(a, { username: 'dora', password: GOOD_PASSWORD }),
    ]
    for (const r of answers) {
      assert.equal(r.statusCode, 401)
      assert.equal(r.headers['set-cookie'], undefined)
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined })
    assert.deepEqual(strip(answers[0]!.json()), strip(answers[1]!.json()))
    assert.deepEqual(strip(answers[1]!.json()), strip(answers[2]!.json()))
    assert.equal(answers[0]!.json().code, 'SRV_UNAUTHENTICATED')

    const events = await auditEvents(a.db, 'session.login')
    const unknown = events.filter((e) => e.actor_type === 'anonymous')
    assert.equal(unknown.length, 1)
    assert.deepEqual([unknown[0]!.org_id, unknown[0]!.actor_name, unknown[0]!.result, JSON.parse(unknown[0]!.details).reason], [null, 'nobody-here', 'failure', 'unknown-user'])
    const alice = events.filter((e) => e.actor_id === id)
    assert.deepEqual(alice.map((e) => e.org_id).sort(), ['acme', 'globex'], 'one event in each org where alice holds a role')
    assert.ok(alice.every((e) => JSON.parse(e.details).reason === 'bad-password' && e.result === 'failure'))
    const dora = events.find((e) => e.actor_name === 'dora')
    assert.equal(JSON.parse(dora!.details).reason, 'disabled')
  })

  it('truncates a long presented username in the audit event', async (t) => {
    const a = await accountsApp(t)
    await postLogin(a, { username: 'x'.repeat(200), password: GOOD_PASSWORD })
    const [e] = await auditEvents(a.db, 'session.login')
    assert.equal(e!.actor_name, 'x'.repeat(64))
  })

  it('costs an argon2id verification for unknown usernames too', async (t) => {
    const a = await accountsApp(t, { rateLimit: { limit: 1000 } })
    await addAdmin(a, 'alice')
    await postLogin(a, { username: 'warmup', password: 'x' }) // makes the dummy hash once
    const time = async (username: string): Promise<number> => {
      const start = process.hrtime.bigint()
      for (let i = 0; i < 3; i++) await postLogin(a, { username, password: 'not the password' })
      return Number(process.hrtime.bigint() - start)
    }
    const known = await time('alice')
    const unknown = await time('nobody')
    // Without the dummy hash the unknown path is ~50x faster; with it, about equal.
    assert.ok(unknown > known * 0.25, `unknown ${unknown} ns vs known ${known} ns`)
  })

  it('validates the body at the edge, naming the field', async (t) => {
    const a = await accountsApp(t)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ password: 'x' }, '/body/username'],
      [{ username: 'a', email: 'a@example.com', password: 'x' }, '/body/username'],
      [{ username: 'a', password: 'x', totp: '12345' }, '/body/totp'],
      [{ username: 'a', password: 'x', totp: '123456', recoveryCode: 'abcde-fghij' }, '/body/recoveryCode'],
      [{ username: 'a', password: 'x', extra: 1 }, '/body'],
      [{ username: 'a' }, '/body'],
    ]
    for (const [body, path] of cases) {
      const r = await postLogin(a, body)
      assert.equal(r.statusCode, 400, JSON.stringify(body))
      assert.ok(r.json().errors.some((e: { path: string }) => e.path.startsWith(path)), `${JSON.stringify(body)}: ${r.body}`)
    }
  })
})

describe('login lockout', () => {
  it('locks after 5 failures for 15 min, answers every password alike while locked and keeps counting, unlocks, and locks again longer', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    const wrong = () => postLogin(a, { username: 'alice', password: 'wrong password entirely' })
    const state = async () => {
      const r = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
      return [r.failed_logins, r.locked_until === null ? null : Number(r.locked_until)]
    }
    for (let i = 0; i < 5; i++) assert.equal((await wrong()).json().code, 'SRV_UNAUTHENTICATED')
    assert.deepEqual(await state(), [5, a.clock.now + 15 * 60_000])

    const guess = await wrong()
    const right = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD })
    for (const r of [guess, right]) {
      assert.equal(r.statusCode, 401)
      assert.equal(r.json().code, 'SRV_UNAUTHENTICATED', 'the right password tells nothing either')
      assert.equal(r.headers['retry-after'], undefined)
    }
    const { instance: _g, ...g } = guess.json()
    const { instance: _r, ...r } = right.json()
    assert.deepEqual(g, r, 'the same problem but for the request id')
    assert.deepEqual(await state(), [7, a.clock.now + 15 * 60_000], 'attempts during a lock count')

    a.clock.now += 15 * 60_000 + 1
    for (let i = 0; i < 3; i++) await wrong()
    assert.deepEqual(await state(), [10, a.clock.now + 30 * 60_000], 'the count is kept, the lock doubles')

    a.clock.now += 30 * 60_000
    await login(a, 'alice')
    assert.deepEqual(await state(), [0, null])
    const events = await auditEvents(a.db, 'session.login')
    assert.equal(events.filter((e) => JSON.parse(e.details).locked === true).length, 2, 'the failures that locked are marked')
    assert.deepEqual(events.map((e) => JSON.parse(e.details).reason).filter((r) => r === 'locked').length, 2, 'the trail shows the attempts refused by the lock')
  })

  it('counts a right password sent without its TOTP code like any attempt (nothing is given back)', async (t) => {
    const a = await accountsApp(t)
    const id = await addAdmin(a, 'alice')
    await a.db.updateTable('admins').set({ totp_secret: 'v1.sealed', totp_enabled_at: a.clock.now, failed_logins: 4 }).where('id', '=', id).execute()
    const r = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD })
    assert.equal(r.json().code, 'SRV_MFA_CODE_REQUIRED')
    const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
    assert.equal(row.failed_logins, 5)
    assert.ok(row.locked_until !== null && Number(row.locked_until) > a.clock.now, 'the 5th attempt, right but incomplete, locks')
    const [e] = (await auditEvents(a.db, 'session.login')).filter((x) => JSON.parse(x.details).reason === 'mfa-required')
    assert.equal(JSON.parse(e!.details).locked, true, 'the trail marks the attempt that locked')
    const again = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD })
    assert.equal(again.json().code, 'SRV_UNAUTHENTICATED', 'locked: not even the MFA question')
  })
})

describe('login rate limit', () => {
  it('answers 429 SRV_RATE_LIMITED with Retry-After past the per-address limit, audited; other addresses pass', async (t) => {
    const a = await accountsApp(t, { rateLimit: { limit: 3, windowMs: 60_000 } })
    await addAdmin(a, 'alice')
    for (let i = 0; i < 3; i++) assert.equal((await postLogin(a, { username: 'alice', password: 'nope nope nope' }, '10.1.1.1')).statusCode, 401)
    const limited = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD }, '10.1.1.1')
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json().code, 'SRV_RATE_LIMITED')
    assert.equal(limited.headers['retry-after'], '60')
    assert.equal((await postLogin(a, { username: 'alice', password: GOOD_PASSWORD }, '10.1.1.2')).statusCode, 200)
    a.clock.now += 60_000
    assert.equal((await postLogin(a, { username: 'alice', password: GOOD_PASSWORD }, '10.1.1.1')).statusCode, 200)
    const events = await auditEvents(a.db, 'session.login')
    assert.equal(events.filter((e) => JSON.parse(e.details).reason === 'rate-limited').length, 1)
    assert.equal(events.length, 6, 'every attempt is one event')
  })
})

describe('POST /v1/auth/logout', () => {
  it('revokes the session, clears the cookie, and the token no longer works', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const out = await a.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: s.headers, payload: {} })
    assert.equal(out.statusCode, 200, out.body)
    assert.equal(out.headers['set-cookie'], 'palisade_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: s.headers })).statusCode, 401)
    const [e] = await auditEvents(a.db, 'session.logout')
    assert.equal(e!.result, 'success')
  })

  it('needs the CSRF token (the access hook refuses it otherwise)', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'alice')
    const s = await login(a, 'alice')
    const out = await a.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: s.headers.cookie }, payload: {} })
    assert.equal(out.json().code, 'SRV_CSRF')
  })
})
