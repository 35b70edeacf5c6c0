import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { note, nodePublicKey } from '@palisade/protocol'
import { createApiKey } from '../auth/api-key.js'
import { accountsApp, addAdmin, auditEvents, login } from '../accounts/accounts.test.helper.js'

const URL = '/v1/orgs/acme/incident/rotate-credentials'

describe('POST /v1/orgs/:org/incident/rotate-credentials', () => {
  it('revokes and reissues every live key, revokes sessions and tokens, and makes a pending log key, in one call', async (t) => {
    const a = await accountsApp(t)
    const seed = new Uint8Array(randomBytes(32))
    const origin = 'palisade/acme'
    await a.db.insertInto('log_keys').values({ org_id: 'acme', origin, signer_key: await note.formatSignerKey(origin, seed), verifier_key: note.formatVerifierKey(origin, nodePublicKey(seed)), created_at: 1 }).execute()
    await addAdmin(a, 'olga')
    const s = await login(a, 'olga')
    const ci = await createApiKey(a.db, 'acme', 'ci', ['read'], { now: a.clock.now, expiresAt: a.clock.now + 5 * 86_400_000 })
    const gone = await createApiKey(a.db, 'acme', 'old', ['read'], { now: a.clock.now, expiresAt: a.clock.now - 1 })
    const theirs = await createApiKey(a.db, 'globex', 'theirs', ['read'], { now: a.clock.now })
    await a.db.insertInto('enrollment_tokens').values({ id: 't1', org_id: 'acme', token_hash: 'h', created_at: 1, expires_at: a.clock.now + 60_000, uses_left: 3, created_by: 'x' }).execute()
    await a.db.insertInto('enrollment_tokens').values({ id: 't2', org_id: 'acme', token_hash: 'h2', created_at: 1, expires_at: a.clock.now + 60_000, uses_left: 0, created_by: 'x' }).execute()

    const r = await a.app.inject({ method: 'POST', url: URL, headers: a.acmeKey, payload: {} })
    assert.equal(r.statusCode, 200, r.body)
    const body = r.json()
    assert.deepEqual(body.revoked, { apiKeys: 2, sessions: 1, enrollmentTokens: 1 })
    assert.equal(body.apiKeys.length, 2)
    const newCi = body.apiKeys.find((k: any) => k.replaces === ci.id)
    assert.deepEqual([newCi.name, newCi.scopes, newCi.expiresAt], ['ci', ['read'], a.clock.now + 5 * 86_400_000])
    assert.ok(body.callerApiKey !== null && body.apiKeys.some((k: any) => k.id === body.callerApiKey && k.name === 'test admin key'))
    assert.ok(!body.apiKeys.some((k: any) => k.replaces === gone.id), 'an expired key is not reissued')

    const status = async (headers: Record<string, string>) => (await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/settings', headers })).statusCode
    assert.equal(await status(a.acmeKey), 401)
    assert.equal(await status({ authorization: `Bearer ${ci.key}` }), 401)
    assert.equal(await status(s.headers), 401)
    for (const k of body.apiKeys) assert.equal(await status({ authorization: `Bearer ${k.key}` }), 200)
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/globex/settings', headers: { authorization: `Bearer ${theirs.key}` } })).statusCode, 200, 'another org is untouched')
    const token = await a.db.selectFrom('enrollment_tokens').select(['uses_left', 'expires_at']).where('id', '=', 't1').executeTakeFirstOrThrow()
    assert.equal(token.uses_left, 0)
    assert.ok(token.expires_at <= Date.now(), 'expired too: an unexpired token still answers an enrollment retry')
    const spent = await a.db.selectFrom('enrollment_tokens').select('expires_at').where('id', '=', 't2').executeTakeFirstOrThrow()
    assert.ok(spent.expires_at <= Date.now(), 'a used-up token is expired as well')
    const pending = await a.db.selectFrom('pending_log_keys').selectAll().where('org_id', '=', 'acme').executeTakeFirstOrThrow()
    assert.equal(pending.verifier_key, body.log.pendingKey)
    assert.notEqual(body.log.pendingKey, body.log.currentKey)
    const live = await a.db.selectFrom('log_keys').select('verifier_key').where('org_id', '=', 'acme').executeTakeFirstOrThrow()
    assert.equal(live.verifier_key, body.log.currentKey, 'the log key in force does not change until a root names the new one')

    const [e] = await auditEvents(a.db, 'incident.rotate-credentials')
    assert.equal(e!.result, 'success')
    for (const k of body.apiKeys) assert.ok(!e!.details.includes(k.key.slice(13)), 'no secret in the audit event')
    assert.ok(!a.lines.join('\n').includes(newCi.key.slice(13)), 'no secret in the log')
  })

  it('refuses callers without org:admin and outsiders', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'hank', { acme: 'admin' })
    const s = await login(a, 'hank')
    assert.equal((await a.app.inject({ method: 'POST', url: URL, headers: s.headers, payload: {} })).statusCode, 403)
    const theirs = await createApiKey(a.db, 'globex', 'theirs', ['admin'], { now: a.clock.now })
    assert.equal((await a.app.inject({ method: 'POST', url: URL, headers: { authorization: `Bearer ${theirs.key}` }, payload: {} })).statusCode, 404)
    assert.equal((await a.app.inject({ method: 'POST', url: URL, headers: a.acmeKey, payload: { extra: 1 } })).statusCode, 400)
    const keys = await a.db.selectFrom('api_keys').select('revoked_at').where('org_id', '=', 'acme').execute()
    assert.ok(keys.every((k) => k.revoked_at === null))
  })
})
