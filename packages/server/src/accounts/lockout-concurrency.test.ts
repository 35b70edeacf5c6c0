/**
 * The lockout under concurrency (security review H1), on SQLite and
 * PostgreSQL: a burst of parallel wrong guesses, each from its own address,
 * gets at most 5 passwords verified before the lock; the others are
 * counted without being checked. Read from the database and the audit
 * trail (`details.reason`), not from timings.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { accountsApp, addAdmin, auditEvents, BACKENDS, GOOD_PASSWORD, postLogin } from './accounts.test.helper.js'

for (const [backend, skip] of BACKENDS) {
  describe(`login lockout under a concurrent burst (${backend})`, { skip }, () => {
    it('verifies at most 5 of 30 parallel wrong guesses, counts all 30, and refuses the right password after them', async (t) => {
      const a = await accountsApp(t, { backend })
      await addAdmin(a, 'alice')
      const burst = await Promise.all(
        Array.from({ length: 30 }, (_, i) => postLogin(a, { username: 'alice', password: `wrong guess number ${i}` }, `10.9.${Math.floor(i / 200)}.${i + 1}`)),
      )
      const bodies = new Set(burst.map((r) => `${r.statusCode} ${r.json().code}`))
      assert.deepEqual([...bodies], ['401 SRV_UNAUTHENTICATED'], 'every guess gets the same answer')
      const row = await a.db.selectFrom('admins').select(['failed_logins', 'locked_until']).executeTakeFirstOrThrow()
      assert.equal(row.failed_logins, 30, 'every attempt counted')
      assert.ok(row.locked_until !== null && Number(row.locked_until) > a.clock.now)
      const reasons = (await auditEvents(a.db, 'session.login')).map((e) => JSON.parse(e.details).reason as string)
      assert.equal(reasons.length, 30)
      assert.equal(reasons.filter((r) => r === 'bad-password').length, 5, 'exactly 5 passwords were verified')
      assert.equal(reasons.filter((r) => r === 'locked').length, 25)

      const right = await postLogin(a, { username: 'alice', password: GOOD_PASSWORD }, '10.9.9.9')
      assert.deepEqual([right.statusCode, right.json().code], [401, 'SRV_UNAUTHENTICATED'])
    })
  })
}
