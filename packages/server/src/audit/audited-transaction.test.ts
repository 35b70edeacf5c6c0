/**
 * The audit event as part of the action (security review M4): a change
 * made in a transaction commits with its event or not at all, and the
 * security events of /v1/me land in every org of the admin.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { accountsApp, addAdmin, auditEvents, GOOD_PASSWORD, login } from '../accounts/accounts.test.helper.js'
import { sqlFamilyOf } from '../db/open.js'

describe('an audited transaction', () => {
  it('rolls the change back when its event cannot be written, so a retry does not act twice', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga')
    // A trigger makes every audit insert fail, as a full disk or a broken table would (each dialect spells it its own way).
    const postgres = sqlFamilyOf(a.config.databaseUrl) === 'postgres'
    if (postgres) {
      await sql`create function no_audit() returns trigger language plpgsql as $$ begin raise exception 'audit store down'; end $$`.execute(a.db)
      await sql`create trigger no_audit before insert on audit_events for each row execute function no_audit()`.execute(a.db)
    } else {
      await sql`create trigger no_audit before insert on audit_events begin select raise(abort, 'audit store down'); end`.execute(a.db)
    }
    const create = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: a.acmeKey, payload: { name: 'ci', scopes: ['read'] } })
    assert.equal(create.statusCode, 503, create.body)
    assert.equal(create.json().code, 'SRV_UNAVAILABLE')
    const keys = await a.db.selectFrom('api_keys').select('name').where('name', '=', 'ci').execute()
    assert.deepEqual(keys, [], 'no key without its event')
    await (postgres ? sql`drop trigger no_audit on audit_events` : sql`drop trigger no_audit`).execute(a.db)
    const retry = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/api-keys', headers: a.acmeKey, payload: { name: 'ci', scopes: ['read'] } })
    assert.equal(retry.statusCode, 201)
    assert.equal((await a.db.selectFrom('api_keys').select('name').where('name', '=', 'ci').execute()).length, 1)
    const events = await auditEvents(a.db, 'apikey.create')
    assert.deepEqual(events.map((e) => [e.result, e.status_code, e.target_id]), [['success', 201, retry.json().id]], 'exactly one event, the success')
  })
})

describe('security events of /v1/me', () => {
  it('land in the trail of every org where the admin holds a role, successes and failures alike', async (t) => {
    const a = await accountsApp(t)
    const id = await addAdmin(a, 'msp', { acme: 'admin', globex: 'owner' })
    const s = await login(a, 'msp')
    const bad = await a.app.inject({ method: 'POST', url: '/v1/me/password', headers: s.headers, payload: { currentPassword: 'wrong wrong wrong', newPassword: 'another fine passphrase 7' } })
    assert.equal(bad.statusCode, 403)
    const ok = await a.app.inject({ method: 'POST', url: '/v1/me/password', headers: s.headers, payload: { currentPassword: GOOD_PASSWORD, newPassword: 'another fine passphrase 7' } })
    assert.equal(ok.statusCode, 200, ok.body)
    const enrol = await a.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: s.headers, payload: { password: 'another fine passphrase 7' } })
    assert.equal(enrol.statusCode, 200, enrol.body)
    const out = await a.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: s.headers, payload: {} })
    assert.equal(out.statusCode, 200)
    for (const [action, results] of [['admin.password-change', ['failure', 'success']], ['mfa.enroll-start', ['success']], ['session.logout', ['success']]] as const) {
      const events = await auditEvents(a.db, action)
      for (const org of ['acme', 'globex']) {
        assert.deepEqual(events.filter((e) => e.org_id === org).map((e) => e.result).sort(), [...results], `${action} in ${org}`)
      }
      assert.ok(events.every((e) => e.actor_id === id && e.org_id !== null), action)
    }
  })
})
