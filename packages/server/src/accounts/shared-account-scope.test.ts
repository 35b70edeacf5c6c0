/**
 * What one org may do to an account it shares with another org (security
 * review H2): sessions are server-wide, so the org session routes and the
 * incident kit reach only admins whose ONLY role is in the org. The org
 * can still cut a shared admin off at once by removing their role.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { note, nodePublicKey } from '@palisade/protocol'
import { accountsApp, addAdmin, login } from './accounts.test.helper.js'

describe('an org and the sessions of a shared account', () => {
  it('neither lists nor revokes them (org routes, incident rotate-credentials), and removing the role cuts access at once', async (t) => {
    const a = await accountsApp(t)
    await addAdmin(a, 'olga', { acme: 'owner' })
    const mspId = await addAdmin(a, 'msp', { acme: 'admin', globex: 'owner' })
    const owner = await login(a, 'olga')
    const msp = await login(a, 'msp')
    const list = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/sessions', headers: owner.headers })
    assert.deepEqual(list.json().sessions.map((x: Record<string, unknown>) => x['username']), ['olga'])
    const mspSession = (await a.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: msp.headers })).json().sessions[0].id
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/sessions/${mspSession}`, headers: owner.headers })).statusCode, 404)

    const seed = new Uint8Array(randomBytes(32))
    const origin = 'palisade/acme'
    await a.db.insertInto('log_keys').values({ org_id: 'acme', origin, signer_key: await note.formatSignerKey(origin, seed), verifier_key: note.formatVerifierKey(origin, nodePublicKey(seed)), created_at: 1 }).execute()
    const rotate = await a.app.inject({ method: 'POST', url: '/v1/orgs/acme/incident/rotate-credentials', headers: a.acmeKey, payload: {} })
    assert.equal(rotate.statusCode, 200, rotate.body)
    assert.equal(rotate.json().revoked.sessions, 1, "olga's only")
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: owner.headers })).statusCode, 401)
    const newKey = { authorization: `Bearer ${rotate.json().callerApiKey === null ? '' : rotate.json().apiKeys.find((k: { id: string }) => k.id === rotate.json().callerApiKey).key}` }
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/me', headers: msp.headers })).statusCode, 200, 'still signed in')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/devices', headers: msp.headers })).statusCode, 200)

    const remove = await a.app.inject({ method: 'DELETE', url: `/v1/orgs/acme/admins/${mspId}`, headers: newKey })
    assert.equal(remove.statusCode, 200, remove.body)
    const after = await a.app.inject({ method: 'GET', url: '/v1/orgs/acme/devices', headers: msp.headers })
    assert.deepEqual([after.statusCode, after.json().detail], [404, 'no such organisation'], 'no role: acme is gone for msp at once')
    assert.equal((await a.app.inject({ method: 'GET', url: '/v1/orgs/globex/devices', headers: msp.headers })).statusCode, 200)
  })
})
