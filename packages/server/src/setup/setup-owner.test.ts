import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'
import { createSetupCode } from './setup-code.js'
import { admin, requestLogKey, rootPayload, signRoot } from './test-org.test.helper.js'

let shared: TestApp
let witnesses: TestWitness[]
before(async () => {
  shared = await createTestApp()
  witnesses = await startWitnesses(1, 'owner-w')
})
after(async () => {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
})

const OWNER = { username: 'olga', email: 'olga@example.com', name: 'Olga Owner', password: 'plum tractor sandwich 42' }

async function prepare(org: string) {
  const { app, db } = shared
  const code = await createSetupCode(db)
  const lk = await requestLogKey(app, code, org)
  for (const w of witnesses) w.addLog(lk.logKey)
  const admins = [admin(`${org}-a`), admin(`${org}-b`)]
  const root = await signRoot(rootPayload({ org, admins, witnessKeys: witnesses.map((w) => w.key), quorum: 1, origin: lk.origin, logKey: lk.logKey }), admins)
  return { setupCode: code, root, witnesses: witnesses.map((w) => ({ key: w.key, url: w.url })) }
}

describe('POST /v1/setup with an owner', () => {
  it('creates the owner account and role in the same transaction as the org; the owner can sign in', async () => {
    const body = await prepare('ownerco')
    const res = await shared.app.inject({ method: 'POST', url: '/v1/setup', payload: { ...body, owner: OWNER } })
    assert.equal(res.statusCode, 201, res.body)
    const out = res.json()
    assert.equal(out.owner.username, 'olga')
    const role = await shared.db.selectFrom('admin_roles').selectAll().where('admin_id', '=', out.owner.id).executeTakeFirstOrThrow()
    assert.deepEqual([role.org_id, role.role], ['ownerco', 'owner'])
    const login = await shared.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'olga', password: OWNER.password } })
    assert.equal(login.statusCode, 200, login.body)
    assert.ok(!shared.lines.join('').includes(OWNER.password))
  })

  it('refuses a weak owner password or a taken username before any witness is asked, and writes nothing', async () => {
    const body = await prepare('weakco')
    const before = witnesses[0]!.requests
    const weak = await shared.app.inject({ method: 'POST', url: '/v1/setup', payload: { ...body, owner: { ...OWNER, username: 'wanda', email: 'w@example.com', password: 'password' } } })
    assert.equal(weak.statusCode, 400)
    assert.equal(weak.json().errors[0].path, '/body/owner/password')
    const taken = await shared.app.inject({ method: 'POST', url: '/v1/setup', payload: { ...body, owner: { ...OWNER, email: 'other@example.com' } } })
    assert.equal(taken.statusCode, 409)
    assert.deepEqual([taken.json().code, taken.json().errors[0].path], ['SRV_DUPLICATE', '/body/owner/username'])
    assert.equal(witnesses[0]!.requests, before, 'no witness was contacted')
    assert.equal(await shared.db.selectFrom('orgs').select('id').where('id', '=', 'weakco').executeTakeFirst(), undefined)
    const ok = await shared.app.inject({ method: 'POST', url: '/v1/setup', payload: body })
    assert.equal(ok.statusCode, 201, 'without an owner, setup works as before and the code is still usable')
    assert.equal(ok.json().owner, undefined)
  })
})
