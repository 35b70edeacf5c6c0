import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { addOrg, createTestOrg, enrollDevice } from '../commands/org.test.helper.js'
import { raiseAlert } from './raise-alert.js'

describe('GET /v1/orgs/:org/alerts', () => {
  it('lists the org\'s alerts newest first, honours limit, and never shows another org\'s', async (t) => {
    const o = await createTestOrg(t)
    const beta = await addOrg(o, 'beta')
    const device = await enrollDevice(o)
    await raiseAlert(o.db, { org: o.org, deviceId: device.id, code: 'PROTO_EXPIRED', message: 'old', commandId: 'cmd-1' }, 1000)
    await raiseAlert(o.db, { org: o.org, deviceId: null, code: 'PROTO_NOT_IN_LOG', message: 'new', commandId: null }, 2000)
    await raiseAlert(o.db, { org: beta.org, deviceId: null, code: 'PROTO_FROZEN', message: 'theirs', commandId: null }, 3000)
    const res = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/alerts`, headers: o.auth })
    assert.equal(res.statusCode, 200)
    const alerts = res.json().alerts
    assert.deepEqual(
      alerts.map((a: Record<string, unknown>) => [a['code'], a['message'], a['deviceId'], a['commandId'], a['createdAt']]),
      [
        ['PROTO_NOT_IN_LOG', 'new', null, null, 2000],
        ['PROTO_EXPIRED', 'old', device.id, 'cmd-1', 1000],
      ],
    )
    assert.match(alerts[0].id, /^alert-[0-9a-f]{20}$/)
    const one = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/alerts?limit=1`, headers: o.auth })).json()
    assert.equal(one.alerts.length, 1)
    const theirs = await o.app.inject({ method: 'GET', url: `/v1/orgs/${beta.org}/alerts`, headers: o.auth })
    assert.equal(theirs.statusCode, 404)
  })
})
