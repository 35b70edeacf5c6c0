import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toBase64 } from '@palisade/protocol'
import { addOrg, createTestOrg, enrollDevice, post, testKey } from '../commands/org.test.helper.js'
import { replaceDevicePackages } from './device-packages.js'

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
    assert.deepEqual({ ...web, enrolledAt: 0 }, { id: enrolled['deviceId'], hostname: 'web-1', enrolledAt: 0, lastSeenAt: null, online: false, os: 'Ubuntu 24.04', personId: null, groupIds: [] })

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

  it('answers "every device with package P below version V" in dpkg order, from the packages devices reported', async (t) => {
    const o = await createTestOrg(t)
    const token = await post(o.app, `/v1/orgs/${o.org}/enrollment-tokens`, { uses: 10 }, 201, o.auth)
    const enroll = async (hostname: string, packages: unknown) => {
      const key = testKey(hostname)
      const body = { token: token['token'], publicKey: toBase64(key.pub), hostname, inventory: { packages } }
      return (await post(o.app, '/v1/enroll', body, 201))['deviceId'] as string
    }
    const pkg = (name: string, version: string, arch = 'amd64') => ({ name, version, arch })
    const old = await enroll('old', { manager: 'dpkg', packages: [pkg('openssl', '3.0.13-1~deb12u1'), pkg('bash', '5.2')] })
    await enroll('new', { manager: 'dpkg', packages: [pkg('openssl', '3.0.14-1')] })
    const multi = await enroll('multi', { manager: 'dpkg', packages: [pkg('openssl', '1:1.0'), pkg('openssl', '3.0.2', 'i386')] })
    await enroll('bare', [pkg('openssl', '3.0.9'), { name: 'openssl', version: '0.1', arch: 'amd64' }, { name: 'junk' }, 'x'])
    await enroll('none', { manager: null, packages: null })
    const get = (qs: string) => o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices?${qs}`, headers: o.auth })

    const below = await get('package=openssl&below=3.0.14')
    assert.equal(below.statusCode, 200)
    assert.deepEqual(
      below.json().devices.map((d: { hostname: string; packages: unknown }) => [d.hostname, d.packages]),
      [
        ['bare', [{ version: '3.0.9', arch: 'amd64' }]], // a repeated (name, arch) keeps the first
        ['multi', [{ version: '3.0.2', arch: 'i386' }]], // epoch 1 sorts above 3.0.14
        ['old', [{ version: '3.0.13-1~deb12u1', arch: 'amd64' }]],
      ],
    )
    assert.equal(below.json().devices[2].id, old)
    const all = (await get('package=openssl')).json().devices
    assert.deepEqual(all.map((d: { hostname: string }) => d.hostname), ['bare', 'multi', 'new', 'old'])
    assert.deepEqual(all[1].packages, [{ version: '1:1.0', arch: 'amd64' }, { version: '3.0.2', arch: 'i386' }])
    assert.equal(all[1].id, multi)
    assert.deepEqual((await get('package=zsh')).json().devices, [])
    // Without the filter the list is as before (no packages field).
    assert.equal((await get('')).json().devices.every((d: object) => !('packages' in d)), true)

    for (const [qs, field] of [['below=3.0', 'package'], ['package=open%20ssl', 'package'], ['package=openssl&below=', 'below'], ['package=openssl&x=1', 'x']] as const) {
      const res = await get(qs)
      assert.equal(res.statusCode, 400, qs)
      assert.equal(res.json().code, 'SRV_VALIDATION', qs)
      assert.match(JSON.stringify(res.json()), new RegExp(field), qs)
    }
  })

  it('keeps only the latest inventory\'s packages, and answers 404 for another org', async (t) => {
    const o = await createTestOrg(t)
    const beta = await addOrg(o, 'beta')
    const device = await enrollDevice(o, 'web-1')
    await replaceDevicePackages(o.db, o.org, device.id, [{ name: 'openssl', version: '3.0.1', arch: 'amd64' }])
    await replaceDevicePackages(o.db, o.org, device.id, [{ name: 'openssl', version: '3.0.15', arch: 'amd64' }])
    const res = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/devices?package=openssl&below=3.0.14`, headers: o.auth })
    assert.deepEqual(res.json().devices, [])
    const theirs = await o.app.inject({ method: 'GET', url: `/v1/orgs/${beta.org}/devices?package=openssl`, headers: o.auth })
    assert.equal(theirs.statusCode, 404)
  })
})
