/**
 * Commands aimed at device groups, through the real command route of an
 * org set up with a signed root and a witness.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { merkleTargets, toBase64 } from '@palisade/protocol'
import { addOrg, commandPayload, createTestOrg, enrollDevice, post, type TestOrg } from '../commands/org.test.helper.js'
import { insertDevice } from './directory.test.helper.js'

const withoutTargets = (org: string): Record<string, unknown> => {
  const { targets: _targets, ...rest } = commandPayload(org)
  return rest
}
const group = async (o: TestOrg, kind: 'user' | 'device', name: string): Promise<string> =>
  String((await post(o.app, `/v1/orgs/${o.org}/groups`, { kind, name }, 201, o.auth))['id'])
const draft = (o: TestOrg, body: Record<string, unknown>) => o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/commands`, payload: body, headers: o.auth })

describe('POST /v1/orgs/:org/commands with targetGroupIds', () => {
  it('signs the exact device list of the groups at draft time; later group changes do not touch it', async (t) => {
    const o = await createTestOrg(t)
    const [a, b, c] = [await enrollDevice(o), await enrollDevice(o), await enrollDevice(o)]
    const laptops = await group(o, 'device', 'Laptops')
    const servers = await group(o, 'device', 'Servers')
    await post(o.app, `/v1/orgs/${o.org}/groups/${laptops}/members`, { add: [a.id, b.id] }, 200, o.auth)
    await post(o.app, `/v1/orgs/${o.org}/groups/${servers}/members`, { add: [b.id] }, 200, o.auth)
    const res = await draft(o, { payload: withoutTargets(o.org), targetGroupIds: [laptops, servers] })
    assert.equal(res.statusCode, 201, res.body)
    const created = res.json()
    const signed = JSON.parse(Buffer.from(created.payload, 'base64').toString('utf8'))
    assert.deepEqual(signed.targets, { kind: 'devices', ids: [a.id, b.id].sort() })
    await post(o.app, `/v1/orgs/${o.org}/groups/${laptops}/members`, { add: [c.id], remove: [a.id] }, 200, o.auth)
    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands/${created.id}`, headers: o.auth })).json()
    assert.equal(shown.payload, created.payload)
    assert.deepEqual(JSON.parse(await o.db.selectFrom('commands').select('target_ids').where('org_id', '=', o.org).executeTakeFirstOrThrow().then((r) => r.target_ids!)), [a.id, b.id].sort())
  })

  it('commits to more than 1000 devices with a Merkle root and the target id list', async (t) => {
    const o = await createTestOrg(t)
    const fleet = await group(o, 'device', 'Fleet')
    const ids: string[] = []
    for (let i = 0; i < 1001; i++) ids.push(await insertDevice(o.db, o.org, `h${i}`))
    await post(o.app, `/v1/orgs/${o.org}/groups/${fleet}/members`, { add: ids.slice(0, 1000) }, 200, o.auth)
    await post(o.app, `/v1/orgs/${o.org}/groups/${fleet}/members`, { add: ids.slice(1000) }, 200, o.auth)
    const res = await draft(o, { payload: withoutTargets(o.org), targetGroupIds: [fleet] })
    assert.equal(res.statusCode, 201, res.body)
    const signed = JSON.parse(Buffer.from(res.json().payload, 'base64').toString('utf8'))
    const expected = merkleTargets([...ids].sort())
    assert.ok(expected.kind === 'merkle')
    assert.deepEqual(signed.targets, { kind: 'merkle', root: toBase64(expected.root), count: 1001 })
  })

  it('refuses groups that cannot be targeted, naming the field', async (t) => {
    const o = await createTestOrg(t)
    const beta = await addOrg(o, 'beta')
    const device = await enrollDevice(o)
    const people = await group(o, 'user', 'People')
    const empty = await group(o, 'device', 'Empty')
    const theirs = await group(beta, 'device', 'Theirs')
    const full = await group(o, 'device', 'Full')
    await post(o.app, `/v1/orgs/${o.org}/groups/${full}/members`, { add: [device.id] }, 200, o.auth)
    const cases: [Record<string, unknown>, number, string][] = [
      [{ payload: withoutTargets(o.org), targetGroupIds: [people] }, 400, '/body/targetGroupIds/0'],
      [{ payload: withoutTargets(o.org), targetGroupIds: [empty] }, 400, '/body/targetGroupIds'],
      [{ payload: withoutTargets(o.org), targetGroupIds: [full, theirs] }, 404, '/body/targetGroupIds/1'],
      [{ payload: withoutTargets(o.org), targetGroupIds: [`group-${randomBytes(4).toString('hex')}`] }, 404, '/body/targetGroupIds/0'],
      [{ payload: commandPayload(o.org), targetGroupIds: [full] }, 400, '/body/payload/targets'],
      [{ payload: withoutTargets(o.org), targetGroupIds: [full], targetIds: [device.id] }, 400, '/body/targetIds'],
      [{ payload: withoutTargets(o.org), targetGroupIds: [] }, 400, '/body/targetGroupIds'],
    ]
    for (const [body, status, path] of cases) {
      const res = await draft(o, body)
      assert.equal(res.statusCode, status, `${path}: ${res.body}`)
      assert.equal(res.json().errors[0].path, path)
    }
    assert.equal((await o.db.selectFrom('commands').select('id').execute()).length, 0)
  })
})
