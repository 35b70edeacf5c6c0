import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toBase64 } from '@palisade/protocol'
import { addOrg, createTestOrg, enrollDevice, post, testKey } from '../commands/org.test.helper.js'

describe('GET /v1/orgs/:org/devices[/:id]', { concurrency: true }, () => {
  it('lists the org\'s devices and shows one with its key and inventory', async (t) => {
    const o = await createTestOrg(t)
    const token = await post(o.app, `/v1/orgs/${o.org}/enrollment-tokens`, {}, 201, o.auth)
    const key = testKey('web')
    const inventory = { os: { name: 'Ubuntu', versionId: '24.04' }, cpus: { count: 4 }, packages: [{ name: 'bash' }] }
    const enrolled = await post(o.app, '/v1/enroll', { token: token['token'], publicKey: toBase64(key.pub), hostname: 'web-1', inventory }, 201)
    const other = await enrollDevice(o, 'db-1')

    const list = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices`, headers: o.auth })
    assert.equal(list.statusCode, 200)
    const devices = list.json().devices
    assert.deepEqual(devices.map((d: { hostname: string }) => d.hostname), ['db-1', 'web-1'])
    const web = devices[1]
    assert.deepEqual({ ...web, enrolledAt: 0 }, { id: enrolled['deviceId'], hostname: 'web-1', enrolledAt: 0, lastSeenAt: null, online: false, os: 'Ubuntu 24.04' })

    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices/${enrolled['deviceId']}`, headers: o.auth })).json()
    assert.equal(shown.publicKey, toBase64(key.pub))
    assert.deepEqual(shown.inventory, inventory)
    assert.equal(typeof shown.inventoryAt, 'number')
    const bare = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices/${other.id}`, headers: o.auth })).json()
    assert.deepEqual([bare.inventory, bare.inventoryAt], [null, null])
  })

  it('answers 404 for a device of another org, and for another org\'s list', async (t) => {
    const o = await createTestOrg(t)
    const beta = await addOrg(o, 'beta')
    const theirs = await enrollDevice(beta)
    const res = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices/${theirs.id}`, headers: o.auth })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'SRV_NOT_FOUND')
    const list = await o.app.inject({ method: 'GET', url: `/v1/orgs/${beta.org}/devices`, headers: o.auth })
    assert.equal(list.statusCode, 404)
    const mine = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices`, headers: o.auth })).json()
    assert.deepEqual(mine.devices, [])
    const anon = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices` })
    assert.equal(anon.statusCode, 401)
  })
})
