/**
 * Races, on SQLite and on PostgreSQL (where requests really run in parallel
 * on a pool of connections): concurrent edits never both win, concurrent
 * creates never both succeed, and deleting a person or a group while
 * others add to it never leaves a dangling membership or binding.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { BACKENDS, directoryApp, insertDevice, type DirectoryApp } from './directory.test.helper.js'

const PEOPLE = '/v1/orgs/acme/people'
const GROUPS = '/v1/orgs/acme/groups'

for (const [backend, skip] of BACKENDS) {
  describe(`directory races on ${backend}`, { skip }, () => {
    let d: DirectoryApp
    before(async () => {
      d = await directoryApp(backend)
    })
    after(() => d?.close())

    let n = 0
    const person = async () => {
      n++
      const res = await d.call('POST', PEOPLE, { username: `race${n}`, email: `race${n}@example.com`, name: `Race ${n}` })
      assert.equal(res.status, 201)
      return res.body.id as string
    }
    const statuses = (results: { status: number }[]) => results.map((r) => r.status).sort()

    /** Memberships and bindings that point at nobody: must always be empty. */
    const dangling = async () => {
      const members = await sql<{ member_id: string }>`
        select m.member_id from group_members m join groups g on g.id = m.group_id
        where (g.kind = 'user' and not exists (select 1 from people p where p.id = m.member_id and p.org_id = m.org_id))
           or (g.kind = 'device' and not exists (select 1 from devices v where v.id = m.member_id and v.org_id = m.org_id))`.execute(d.db)
      const devices = await sql<{ id: string }>`
        select v.id from devices v where v.person_id is not null
          and not exists (select 1 from people p where p.id = v.person_id and p.org_id = v.org_id)`.execute(d.db)
      return [...members.rows.map((r) => r.member_id), ...devices.rows.map((r) => r.id)]
    }

    it('of two edits from the same version, exactly one wins and the other gets 409', async () => {
      for (let round = 0; round < 5; round++) {
        const id = await person()
        const results = await Promise.all([
          d.call('PATCH', `${PEOPLE}/${id}`, { version: 1, name: 'First' }),
          d.call('PATCH', `${PEOPLE}/${id}`, { version: 1, name: 'Second' }),
        ])
        assert.deepEqual(statuses(results), [200, 409])
        const winner = results.find((r) => r.status === 200)!.body.name
        const stored = await d.db.selectFrom('people').select(['name', 'version']).where('id', '=', id).executeTakeFirstOrThrow()
        assert.deepEqual(stored, { name: winner, version: 2 })
      }
      const id = await person()
      const many = await Promise.all(Array.from({ length: 8 }, (_, i) => d.call('PATCH', `${PEOPLE}/${id}`, { version: 1, name: `Editor ${i}` })))
      assert.deepEqual(statuses(many), [200, ...Array(7).fill(409)])
      const group = (await d.call('POST', GROUPS, { kind: 'user', name: 'Racing' })).body
      const renames = await Promise.all([
        d.call('PATCH', `${GROUPS}/${group.id}`, { version: 1, name: 'A' }),
        d.call('PATCH', `${GROUPS}/${group.id}`, { version: 1, name: 'B' }),
      ])
      assert.deepEqual(statuses(renames), [200, 409])
    })

    it('of concurrent creates with the same username or email, exactly one succeeds', async () => {
      const same = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        d.call('POST', PEOPLE, { username: 'twin', email: `twin${i}@example.com`, name: `Twin ${i}` })))
      assert.deepEqual(statuses(same), [201, ...Array(7).fill(409)])
      for (const r of same.filter((x) => x.status === 409)) {
        assert.equal(r.body.code, 'SRV_DUPLICATE')
        assert.equal(r.body.errors[0].path, '/body/username')
      }
      const emails = await Promise.all(Array.from({ length: 4 }, (_, i) =>
        d.call('POST', PEOPLE, { username: `mail${i}`, email: i % 2 === 0 ? 'Shared@Example.com' : 'shared@example.COM', name: 'M' })))
      assert.deepEqual(statuses(emails), [201, 409, 409, 409])
      const groups = await Promise.all(Array.from({ length: 4 }, (_, i) => d.call('POST', GROUPS, { kind: 'device', name: i % 2 ? 'Fleet' : 'FLEET' })))
      assert.deepEqual(statuses(groups), [201, 409, 409, 409])
    })

    it('deleting a person while others add them to groups or bind devices never leaves a dangling row', async () => {
      const groups = [(await d.call('POST', GROUPS, { kind: 'user', name: 'Del A' })).body.id, (await d.call('POST', GROUPS, { kind: 'user', name: 'Del B' })).body.id]
      for (let round = 0; round < 15; round++) {
        const id = await person()
        const device = await insertDevice(d.db, 'acme')
        const results = await Promise.all([
          d.call('PUT', `${GROUPS}/${groups[0]}/members/${id}`),
          d.call('POST', `${GROUPS}/${groups[1]}/members`, { add: [id] }),
          d.call('PUT', `/v1/orgs/acme/devices/${device}/person`, { personId: id }),
          d.call('DELETE', `${PEOPLE}/${id}`),
        ])
        assert.equal(results[3]!.status, 200, JSON.stringify(results[3]!.body))
        for (const r of results.slice(0, 3)) assert.ok(r.status === 200 || r.status === 404, `${r.status} ${JSON.stringify(r.body)}`)
        assert.deepEqual(await dangling(), [], `round ${round}`)
      }
    })

    it('deleting a group while others add members never leaves a membership behind', async () => {
      for (let round = 0; round < 10; round++) {
        const group = (await d.call('POST', GROUPS, { kind: 'user', name: `Doomed ${round}` })).body.id as string
        const people = [await person(), await person()]
        const results = await Promise.all([
          d.call('PUT', `${GROUPS}/${group}/members/${people[0]}`),
          d.call('POST', `${GROUPS}/${group}/members`, { add: people }),
          d.call('DELETE', `${GROUPS}/${group}`),
        ])
        assert.equal(results[2]!.status, 200, JSON.stringify(results[2]!.body))
        for (const r of results.slice(0, 2)) assert.ok(r.status === 200 || r.status === 404, `${r.status} ${JSON.stringify(r.body)}`)
        assert.deepEqual(await d.db.selectFrom('group_members').select('member_id').where('group_id', '=', group).execute(), [])
      }
    })
  })
}
