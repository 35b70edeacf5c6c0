/**
 * Groups, membership and device bindings through the real app on SQLite
 * and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BACKENDS, directoryApp, insertDevice, type DirectoryApp } from './directory.test.helper.js'

const GROUPS = '/v1/orgs/acme/groups'

for (const [backend, skip] of BACKENDS) {
  describe(`groups and membership on ${backend}`, { skip }, () => {
    let d: DirectoryApp
    before(async () => {
      d = await directoryApp(backend)
    })
    after(() => d?.close())

    const person = async (org = 'acme') => {
      const n = Math.random().toString(36).slice(2, 8)
      const res = await d.call('POST', `/v1/orgs/${org}/people`, { username: `p${n}`, email: `p${n}@example.com`, name: `P ${n}` }, org === 'acme' ? d.keys.admin : d.keys.globex)
      assert.equal(res.status, 201)
      return res.body.id as string
    }
    const group = async (kind: 'user' | 'device', name = `${kind} ${Math.random().toString(36).slice(2, 8)}`) => {
      const res = await d.call('POST', GROUPS, { kind, name })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      return res.body
    }
    const memberIds = async (groupId: string) =>
      (await d.db.selectFrom('group_members').select('member_id').where('group_id', '=', groupId).orderBy('member_id').execute()).map((r) => r.member_id)

    it('creates, lists with member counts, renames under a version and deletes groups', async () => {
      const eng = await group('user', 'Engineering')
      assert.match(eng.id, /^group-[0-9a-f]{20}$/)
      assert.deepEqual({ kind: eng.kind, name: eng.name, description: eng.description, memberCount: eng.memberCount, version: eng.version }, { kind: 'user', name: 'Engineering', description: '', memberCount: 0, version: 1 })
      const laptops = (await d.call('POST', GROUPS, { kind: 'device', name: 'Engineering', description: 'Same name,\nother kind' })).body
      assert.equal(laptops.kind, 'device', 'names are unique per kind')
      const dup = await d.call('POST', GROUPS, { kind: 'user', name: 'ENGINEERING' })
      assert.equal(dup.status, 409)
      assert.equal(dup.body.code, 'SRV_DUPLICATE')
      assert.equal(dup.body.errors[0].path, '/body/name')
      await d.call('PUT', `${GROUPS}/${eng.id}/members/${await person()}`)
      const listed = await d.call('GET', `${GROUPS}?kind=user&q=engin`, undefined, d.keys.read)
      assert.deepEqual(listed.body.groups.map((g: { id: string; memberCount: number }) => [g.id, g.memberCount]), [[eng.id, 1]])
      const renamed = await d.call('PATCH', `${GROUPS}/${eng.id}`, { version: 1, name: 'Platform' })
      assert.equal(renamed.status, 200)
      assert.deepEqual([renamed.body.name, renamed.body.version, renamed.body.memberCount], ['Platform', 2, 1])
      assert.equal((await d.call('PATCH', `${GROUPS}/${eng.id}`, { version: 1, description: 'late' })).status, 409)
      for (const bad of [{ kind: 'robots', name: 'x' }, { kind: 'user', name: '' }, { kind: 'user', name: 'x'.repeat(101) }, { kind: 'user', name: 'a\u0000b' }]) {
        assert.equal((await d.call('POST', GROUPS, bad)).status, 400, JSON.stringify(bad))
      }
      const deleted = await d.call('DELETE', `${GROUPS}/${eng.id}`)
      assert.deepEqual(deleted.body, { id: eng.id, deleted: true, memberships: 1 })
      assert.deepEqual(await memberIds(eng.id), [])
      assert.equal((await d.call('GET', `${GROUPS}/${eng.id}`)).status, 404)
    })

    it('adds and removes single members idempotently; people only in user groups, devices only in device groups', async () => {
      const users = await group('user')
      const devices = await group('device')
      const ada = await person()
      const laptop = await insertDevice(d.db, 'acme', 'ada-laptop')
      const add = await d.call('PUT', `${GROUPS}/${users.id}/members/${ada}`, undefined, d.keys.directory)
      assert.deepEqual(add.body, { groupId: users.id, added: 1, removed: 0, memberCount: 1 })
      const again = await d.call('PUT', `${GROUPS}/${users.id}/members/${ada}`, {})
      assert.deepEqual(again.body, { groupId: users.id, added: 0, removed: 0, memberCount: 1 })
      const wrongKind = await d.call('PUT', `${GROUPS}/${users.id}/members/${laptop}`)
      assert.equal(wrongKind.status, 400)
      assert.equal(wrongKind.body.errors[0].path, '/params/memberId')
      assert.match(wrongKind.body.detail, /is a device; a user group holds people/)
      assert.equal((await d.call('PUT', `${GROUPS}/${devices.id}/members/${ada}`)).status, 400)
      assert.equal((await d.call('PUT', `${GROUPS}/${devices.id}/members/${laptop}`)).status, 200)
      const shown = await d.call('GET', `${GROUPS}/${devices.id}`)
      assert.deepEqual(shown.body.members, [{ id: laptop, hostname: 'ada-laptop', os: null, personId: null }])
      const removed = await d.call('DELETE', `${GROUPS}/${users.id}/members/${ada}`)
      assert.deepEqual(removed.body, { groupId: users.id, added: 0, removed: 1, memberCount: 0 })
      assert.equal((await d.call('DELETE', `${GROUPS}/${users.id}/members/${ada}`)).body.removed, 0)
      assert.equal((await d.call('PUT', `${GROUPS}/${users.id}/members/person-missing`)).status, 404)
    })

    it('treats another org\'s people, devices and groups exactly like missing ones (404)', async () => {
      const users = await group('user')
      const theirPerson = await person('globex')
      const theirDevice = await insertDevice(d.db, 'globex')
      const missing = await d.call('PUT', `${GROUPS}/${users.id}/members/person-0000`)
      const foreign = await d.call('PUT', `${GROUPS}/${users.id}/members/${theirPerson}`)
      assert.equal(foreign.status, 404)
      assert.equal(foreign.body.code, missing.body.code)
      assert.equal(foreign.body.detail, `no person ${theirPerson} in this org`)
      assert.equal((await d.call('PUT', `${GROUPS}/${(await group('device')).id}/members/${theirDevice}`)).status, 404)
      // A globex admin cannot see or change acme's group, even through its own org's URL.
      assert.equal((await d.call('GET', `${GROUPS}/${users.id}`, undefined, d.keys.globex)).status, 404)
      assert.equal((await d.call('PUT', `/v1/orgs/globex/groups/${users.id}/members/${theirPerson}`, undefined, d.keys.globex)).status, 404)
      assert.deepEqual(await memberIds(users.id), [])
    })

    it('changes many members at once, all or nothing, naming the first bad id', async () => {
      const users = await group('user')
      const people = [await person(), await person(), await person()]
      const ok = await d.call('POST', `${GROUPS}/${users.id}/members`, { add: people })
      assert.deepEqual(ok.body, { groupId: users.id, added: 3, removed: 0, memberCount: 3 })
      const newcomer = await person()
      const bad = await d.call('POST', `${GROUPS}/${users.id}/members`, { add: [newcomer, 'person-nobody', 'person-also-nobody'], remove: [people[0]] })
      assert.equal(bad.status, 404)
      assert.deepEqual(bad.body.errors, [{ path: '/body/add/1', message: 'no person person-nobody in this org' }])
      assert.deepEqual(await memberIds(users.id), [...people].sort(), 'nothing of the failed change was applied')
      const mixed = await d.call('POST', `${GROUPS}/${users.id}/members`, { add: [newcomer], remove: [people[0], 'person-never-a-member'] })
      assert.deepEqual(mixed.body, { groupId: users.id, added: 1, removed: 1, memberCount: 3 })
      const both = await d.call('POST', `${GROUPS}/${users.id}/members`, { add: [newcomer], remove: [newcomer] })
      assert.equal(both.status, 400)
      const tooMany = await d.call('POST', `${GROUPS}/${users.id}/members`, { add: Array.from({ length: 600 }, (_, i) => `person-${i}`), remove: Array.from({ length: 401 }, (_, i) => `p-${i}`) })
      assert.equal(tooMany.status, 400)
      assert.equal((await d.call('POST', `${GROUPS}/${users.id}/members`, { add: ['not an id!'] })).status, 400)
    })

    it('pages the members of a large group', async () => {
      const devices = await group('device')
      const ids: string[] = []
      for (let i = 0; i < 12; i++) ids.push(await insertDevice(d.db, 'acme'))
      assert.equal((await d.call('POST', `${GROUPS}/${devices.id}/members`, { add: ids })).body.memberCount, 12)
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page: { body: { members: { id: string }[]; nextCursor: string | null; memberCount: number } } = await d.call('GET', `${GROUPS}/${devices.id}?limit=5${cursor === null ? '' : `&cursor=${cursor}`}`)
        assert.equal(page.body.memberCount, 12)
        seen.push(...page.body.members.map((m) => m.id))
        cursor = page.body.nextCursor
      } while (cursor !== null)
      assert.deepEqual(seen, [...ids].sort())
    })

    it('binds a device to a person of its org and shows both sides', async () => {
      const ada = await person()
      const laptop = await insertDevice(d.db, 'acme')
      const fleet = await group('device')
      await d.call('PUT', `${GROUPS}/${fleet.id}/members/${laptop}`)
      const bound = await d.call('PUT', `/v1/orgs/acme/devices/${laptop}/person`, { personId: ada }, d.keys.devices)
      assert.deepEqual(bound.body, { deviceId: laptop, personId: ada })
      const device = await d.call('GET', `/v1/orgs/acme/devices/${laptop}`, undefined, d.keys.read)
      assert.equal(device.body.personId, ada)
      assert.deepEqual(device.body.groups, [{ id: fleet.id, name: fleet.name }])
      const list = await d.call('GET', '/v1/orgs/acme/devices', undefined, d.keys.read)
      const row = list.body.devices.find((x: { id: string }) => x.id === laptop)
      assert.deepEqual([row.personId, row.groupIds], [ada, [fleet.id]])
      assert.equal((await d.call('PUT', `/v1/orgs/acme/devices/${laptop}/person`, { personId: await person('globex') })).status, 404)
      assert.equal((await d.call('PUT', `/v1/orgs/acme/devices/dev-nope/person`, { personId: ada })).status, 404)
      assert.equal((await d.call('PUT', `/v1/orgs/acme/devices/${laptop}/person`, { personId: ada }, d.keys.directory)).status, 403, 'binding needs devices:write')
      assert.deepEqual((await d.call('DELETE', `/v1/orgs/acme/devices/${laptop}/person`)).body, { deviceId: laptop, personId: null })
      assert.equal((await d.call('GET', `/v1/orgs/acme/devices/${laptop}`)).body.personId, null)
    })
  })
}
