import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { setupOrg, type TestOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'
import { OrgLog } from './org-log.js'

let shared: TestApp
let witnesses: TestWitness[]
let acme: TestOrg
let globex: TestOrg
before(async () => {
  shared = await createTestApp()
  witnesses = await startWitnesses(2, 'routes-w')
  acme = await setupOrg(shared.app, shared.db, { org: 'acme', witnesses })
  globex = await setupOrg(shared.app, shared.db, { org: 'globex', witnesses: witnesses.slice(0, 1) })
})
after(async () => {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
})

function get(url: string, headers: Record<string, string> = acme.auth) {
  return shared.app.inject({ method: 'GET', url, headers })
}

describe('log routes', () => {
  it('serve the checkpoint, the checkpoint list, entries and proofs to the org’s key', async () => {
    assert.equal((await get('/v1/orgs/acme/log/checkpoint')).statusCode, 200)
    assert.deepEqual((await get('/v1/orgs/acme/log/checkpoints')).json().checkpoints.map((c: { size: number }) => c.size), [1])
    assert.equal((await get('/v1/orgs/acme/log/entries?start=0&end=1')).json().entries.length, 1)
    assert.deepEqual((await get('/v1/orgs/acme/log/proof/inclusion?index=0&size=1')).json(), { proof: [] })
    assert.deepEqual((await get('/v1/orgs/acme/log/proof/consistency?from=1&to=1')).json(), { proof: [] })
  })

  it('answer every log route of another org with 404, exactly as for an org that does not exist', async () => {
    const urls = ['/log/checkpoint', '/log/checkpoints', '/log/entries?start=0&end=1', '/log/proof/inclusion?index=0&size=1', '/log/proof/consistency?from=1&to=1', '/roots']
    for (const u of urls) {
      const cross = await get(`/v1/orgs/globex${u}`, acme.auth)
      const none = await get(`/v1/orgs/nosuch${u}`, acme.auth)
      assert.deepEqual([cross.statusCode, cross.json().code], [404, 'SRV_NOT_FOUND'], u)
      assert.equal(cross.json().detail, none.json().detail)
    }
    const publish = await shared.app.inject({ method: 'POST', url: '/v1/orgs/globex/log/publish', headers: acme.auth, payload: {} })
    assert.equal(publish.statusCode, 404)
    assert.equal((await get('/v1/orgs/globex/log/checkpoint', globex.auth)).statusCode, 200)
  })

  it('answer no key with 401 before looking at the query', async () => {
    const res = await get('/v1/orgs/acme/log/entries?start=x', {})
    assert.equal(res.statusCode, 401)
  })

  it('take numbers as plain decimal strings only', async () => {
    for (const q of ['start=1e3&end=2000', 'start= 1&end=2', 'start=01&end=2', 'start=-1&end=2', 'start=0', 'start=0&end=1&extra=1']) {
      const res = await get(`/v1/orgs/acme/log/entries?${q}`)
      assert.deepEqual([res.statusCode, res.json().code], [400, 'SRV_VALIDATION'], q)
    }
    assert.equal((await get('/v1/orgs/acme/log/entries?start=0&end=1001')).statusCode, 400)
    assert.equal((await get('/v1/orgs/acme/log/entries?start=5&end=4')).statusCode, 400)
    assert.equal((await get('/v1/orgs/acme/log/proof/inclusion?index=1&size=1')).statusCode, 400)
    assert.equal((await get('/v1/orgs/acme/log/proof/inclusion?index=0&size=99')).statusCode, 400)
    assert.equal((await get('/v1/orgs/acme/log/proof/consistency?from=0&to=1')).statusCode, 400)
    assert.equal((await get('/v1/orgs/acme/log/proof/inclusion?index=0&size=99999999999999999')).statusCode, 400)
  })

  it('publish on demand: the latest checkpoint when nothing is new, a 503 naming the witness when the quorum fails', async () => {
    const post = () => shared.app.inject({ method: 'POST', url: '/v1/orgs/acme/log/publish', headers: acme.auth, payload: {} })
    const res = await post()
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().size, 1)
    await new OrgLog({ db: shared.db }).append('acme', [{ kind: 'command', refId: 'c1', data: new Uint8Array([1]) }])
    witnesses[0]!.mode = 'down'
    witnesses[1]!.mode = 'huge'
    try {
      const failed = await post()
      assert.equal(failed.statusCode, 503)
      const p = failed.json()
      assert.equal(p.code, 'SRV_UNAVAILABLE')
      assert.deepEqual(p.errors.map((e: { path: string }) => e.path), ['/witnesses/routes-w0.example', '/witnesses/routes-w1.example'])
      assert.match(p.errors[1].message, /larger than/)
    } finally {
      witnesses[0]!.mode = 'honest'
      witnesses[1]!.mode = 'honest'
    }
    const ok = await post()
    assert.deepEqual([ok.statusCode, ok.json().size], [200, 2])
  })
})

describe('POST …/log/publish without a body', () => {
  it('is accepted like {}', async () => {
    const res = await shared.app.inject({ method: 'POST', url: '/v1/orgs/acme/log/publish', headers: acme.auth })
    assert.equal(res.statusCode, 200, res.body)
  })
})
