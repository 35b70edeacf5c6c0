/**
 * The people routes through the real app on SQLite and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BACKENDS, directoryApp, insertDevice, type DirectoryApp } from './directory.test.helper.js'

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIACcXllR4KZQuIAmDepBXjtWbDscLfTw2DLyNc1eC+JO ada@laptop'
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDPcqHlU/HbamNgxr4ldROylSo4GPYd425bAAGY9DiNNZ13SjuUpmGbQDqX0QF+5WQRdMvveA8YJharAAYY3fIR7ALhJOOpFH95Ii0xNxLu1Gs34zyvBpf38HTaeJ4pEC7cF2pQnHe/h1F5Np1NgX4gMy369xN0215S61FrPLqDhQ== root@vm'
const PEOPLE = '/v1/orgs/acme/people'

for (const [backend, skip] of BACKENDS) {
  describe(`people routes on ${backend}`, { skip }, () => {
    let d: DirectoryApp
    before(async () => {
      d = await directoryApp(backend)
    })
    after(() => d?.close())

    const create = async (over: Record<string, unknown> = {}) => {
      const n = Math.random().toString(36).slice(2, 8)
      const res = await d.call('POST', PEOPLE, { username: `u${n}`, email: `u${n}@example.com`, name: `User ${n}`, ...over })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      return res.body
    }

    it('creates a person with defaults, normalised text and deduped keys, and shows it', async () => {
      const res = await d.call('POST', PEOPLE, {
        username: 'ada', email: 'Ada@Example.com', name: 'Ada Lovelace', sshKeys: [ED25519, ED25519.replace('ada@laptop', 'dup')], attributes: { team: 'core' },
      })
      assert.equal(res.status, 201)
      const ada = res.body
      assert.match(ada.id, /^person-[0-9a-f]{20}$/)
      assert.deepEqual(
        { ...ada, id: undefined, createdAt: undefined, updatedAt: undefined },
        { id: undefined, username: 'ada', email: 'Ada@Example.com', name: 'Ada Lovelace', status: 'active', sshKeys: [ED25519], attributes: { team: 'core' }, createdAt: undefined, updatedAt: undefined, version: 1 },
      )
      const shown = await d.call('GET', `${PEOPLE}/${ada.id}`, undefined, d.keys.read)
      assert.equal(shown.status, 200)
      assert.deepEqual(shown.body, { ...ada, groups: [], devices: [] })
      // The audit hook recorded who created whom.
      const events = await d.db.selectFrom('audit_events').selectAll().where('action', '=', 'person.create').where('target_id', '=', ada.id).execute()
      assert.equal(events.length, 1)
      assert.equal(events[0]!.org_id, 'acme')
      assert.equal(events[0]!.result, 'success')
    })

    it('refuses invalid fields with 400 naming each field, and writes nothing', async () => {
      const before = await d.db.selectFrom('people').select('id').execute()
      const res = await d.call('POST', PEOPLE, { username: 'Bad Name', email: 'no-at-sign', name: '\u0007', sshKeys: ['ssh-ed25519 nope', RSA_1024], attributes: { '9x': 'y' } })
      assert.equal(res.status, 400)
      assert.equal(res.body.code, 'SRV_VALIDATION')
      assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['/body/username', '/body/email', '/body/name', '/body/sshKeys/0', '/body/sshKeys/1', '/body/attributes/9x'])
      assert.match(res.body.errors[4].message, /1024 bits/)
      const missing = await d.call('POST', PEOPLE, { username: 'x' })
      assert.equal(missing.status, 400)
      assert.deepEqual(missing.body.errors.map((e: { path: string }) => e.path).sort(), ['/body/email', '/body/name'])
      const unknown = await d.call('POST', PEOPLE, { username: 'x', email: 'x@example.com', name: 'X', admin: true })
      assert.deepEqual(unknown.body.errors, [{ path: '/body/admin', message: 'unknown field' }])
      assert.deepEqual(await d.db.selectFrom('people').select('id').execute(), before)
    })

    it('refuses a duplicate username or email ignoring case and Unicode spelling, naming the field (409 SRV_DUPLICATE)', async () => {
      await create({ username: 'amelie', email: 'Ame\u0301lie@example.com' })
      const byName = await d.call('POST', PEOPLE, { username: 'amelie', email: 'other@example.com', name: 'Other' })
      assert.equal(byName.status, 409)
      assert.equal(byName.body.code, 'SRV_DUPLICATE')
      assert.equal(byName.body.errors[0].path, '/body/username')
      const byEmail = await d.call('POST', PEOPLE, { username: 'amelie2', email: 'AMÉLIE@EXAMPLE.COM', name: 'Other' })
      assert.equal(byEmail.status, 409)
      assert.equal(byEmail.body.errors[0].path, '/body/email')
      // Another org may use the same names.
      const globex = await d.call('POST', '/v1/orgs/globex/people', { username: 'amelie', email: 'amelie@example.com', name: 'Amélie G' }, d.keys.globex)
      assert.equal(globex.status, 201)
    })

    it('edits under optimistic concurrency: a stale version gets 409 with the current version', async () => {
      const p = await create()
      const ok = await d.call('PATCH', `${PEOPLE}/${p.id}`, { version: 1, status: 'suspended', attributes: { a: 'b' } })
      assert.equal(ok.status, 200)
      assert.equal(ok.body.version, 2)
      assert.equal(ok.body.status, 'suspended')
      assert.deepEqual(ok.body.attributes, { a: 'b' })
      const stale = await d.call('PATCH', `${PEOPLE}/${p.id}`, { version: 1, name: 'Lost?' })
      assert.equal(stale.status, 409)
      assert.equal(stale.body.code, 'SRV_CONFLICT')
      assert.deepEqual(stale.body.errors, [{ path: '/body/version', message: 'is 1, but the current version is 2' }])
      assert.equal((await d.call('GET', `${PEOPLE}/${p.id}`)).body.name, p.name)
      const empty = await d.call('PATCH', `${PEOPLE}/${p.id}`, { version: 2 })
      assert.equal(empty.status, 400)
      const other = await create()
      const taken = await d.call('PATCH', `${PEOPLE}/${p.id}`, { version: 2, email: other.email.toUpperCase() })
      assert.equal(taken.status, 409)
      assert.equal(taken.body.code, 'SRV_DUPLICATE')
      assert.equal(taken.body.errors[0].path, '/body/email')
      assert.equal((await d.call('PATCH', `${PEOPLE}/person-nope`, { version: 1, name: 'x' })).status, 404)
    })

    it('lists with q, status, group filters and stable keyset pages', async () => {
      const prefix = `pg${Math.random().toString(36).slice(2, 6)}`
      const made = []
      for (let i = 0; i < 7; i++) made.push(await create({ username: `${prefix}${i}`, email: `${prefix}${i}@list.example`, name: i === 3 ? 'Grace Hopper' : `N ${i}` }))
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const url: string = `${PEOPLE}?q=${prefix}&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`
        const page = await d.call('GET', url, undefined, d.keys.read)
        assert.equal(page.status, 200)
        assert.ok(page.body.people.length <= 3)
        seen.push(...page.body.people.map((p: { username: string }) => p.username))
        cursor = page.body.nextCursor
        // A row inserted mid-way before the cursor position does not shift later pages.
        if (seen.length === 3) await create({ username: `${prefix}0a`, email: `${prefix}0a@list.example` })
      } while (cursor !== null)
      assert.deepEqual(seen, made.map((p) => p.username))
      const byName = await d.call('GET', `${PEOPLE}?q=GRACE%20hop`)
      assert.deepEqual(byName.body.people.map((p: { id: string }) => p.id), [made[3].id])
      const wild = await d.call('GET', `${PEOPLE}?q=${encodeURIComponent('%')}`)
      assert.deepEqual(wild.body.people, [], '% is a literal, not a wildcard')
      await d.call('PATCH', `${PEOPLE}/${made[5].id}`, { version: 1, status: 'suspended' })
      const suspended = await d.call('GET', `${PEOPLE}?q=${prefix}&status=suspended`)
      assert.deepEqual(suspended.body.people.map((p: { id: string }) => p.id), [made[5].id])
      const group = (await d.call('POST', '/v1/orgs/acme/groups', { kind: 'user', name: `${prefix} team` })).body
      await d.call('POST', `/v1/orgs/acme/groups/${group.id}/members`, { add: [made[1].id, made[2].id] })
      const members = await d.call('GET', `${PEOPLE}?group=${group.id}`)
      assert.deepEqual(members.body.people.map((p: { id: string }) => p.id), [made[1].id, made[2].id])
      assert.equal((await d.call('GET', `${PEOPLE}?group=group-nope`)).status, 404)
      for (const bad of ['limit=0', 'limit=501', 'limit=1e2', 'cursor=bm90LWpzb24', 'status=gone', 'sort=name']) {
        const res = await d.call('GET', `${PEOPLE}?${bad}`)
        assert.equal(res.status, 400, bad)
        assert.match(res.body.errors[0].path, /^\/querystring/, bad)
      }
    })

    it('deletes a person with their memberships and device bindings in one go', async () => {
      const p = await create()
      const group = (await d.call('POST', '/v1/orgs/acme/groups', { kind: 'user', name: `g-${p.username}` })).body
      assert.equal((await d.call('PUT', `/v1/orgs/acme/groups/${group.id}/members/${p.id}`)).status, 200)
      const device = await insertDevice(d.db, 'acme')
      assert.equal((await d.call('PUT', `/v1/orgs/acme/devices/${device}/person`, { personId: p.id }, d.keys.devices)).status, 200)
      const shown = await d.call('GET', `${PEOPLE}/${p.id}`)
      assert.deepEqual(shown.body.groups, [{ id: group.id, name: group.name }])
      assert.deepEqual(shown.body.devices.map((x: { id: string }) => x.id), [device])
      const deleted = await d.call('DELETE', `${PEOPLE}/${p.id}`, undefined, d.keys.directory)
      assert.deepEqual(deleted.body, { id: p.id, deleted: true, memberships: 1, devices: 1 })
      assert.equal((await d.db.selectFrom('group_members').select('member_id').where('member_id', '=', p.id).execute()).length, 0)
      assert.equal((await d.db.selectFrom('devices').select('person_id').where('id', '=', device).executeTakeFirstOrThrow()).person_id, null)
      assert.equal((await d.call('GET', `${PEOPLE}/${p.id}`)).status, 404)
      assert.equal((await d.call('DELETE', `${PEOPLE}/${p.id}`)).status, 404)
    })

    it('hides every person of another org (404), and needs directory:write to change people (403)', async () => {
      const p = await create()
      for (const [method, url, body] of [
        ['GET', `${PEOPLE}/${p.id}`, undefined],
        ['PATCH', `${PEOPLE}/${p.id}`, { version: 1, name: 'x' }],
        ['DELETE', `${PEOPLE}/${p.id}`, undefined],
        ['GET', PEOPLE, undefined],
      ] as const) {
        const res = await d.call(method, url, body, d.keys.globex)
        assert.equal(res.status, 404, `${method} ${url}`)
      }
      const theirs = await d.call('GET', `/v1/orgs/globex/people/${p.id}`, undefined, d.keys.globex)
      assert.equal(theirs.status, 404, 'an acme id in the globex URL is not found either')
      const readOnly = await d.call('POST', PEOPLE, { username: 'ro', email: 'ro@example.com', name: 'R' }, d.keys.read)
      assert.equal(readOnly.status, 403)
      assert.equal((await d.call('DELETE', `${PEOPLE}/${p.id}`, undefined, d.keys.devices)).status, 403)
      assert.equal((await d.call('GET', PEOPLE, undefined, { authorization: 'Bearer nope' })).status, 401)
    })
  })
}
