// `palisade groups` end to end, in-process, against the real server on
// SQLite (127.0.0.1:0): user and device groups, names per kind, members
// one by one and in bulk (all or nothing, the bad id named), filters,
// renames, and deletion with its memberships.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDirectoryOrg, type DirectoryOrg } from '../testing/directory-org.test.helper.js'

describe('palisade groups against a real server', () => {
  let d: DirectoryOrg
  const ids: Record<string, string> = {}

  before(async () => {
    d = await startDirectoryOrg('groups')
    for (const u of ['alice', 'bob', 'carol']) {
      const r = await d.cli(['--json', 'people', 'add', '--username', u, '--email', `${u}@example.com`, '--name', u.toUpperCase()])
      assert.equal(r.code, 0, r.err)
      ids[u] = r.json().id
    }
    await d.insertDevice('dev-1', 'host-1')
  })
  after(() => d.close())

  it('creates user and device groups; a name is unique per kind', async () => {
    const eng = await d.cli(['--json', 'groups', 'add', '--kind', 'user', '--name', 'engineering', '--description', 'builds things\nand fixes them'])
    assert.equal(eng.code, 0, eng.err)
    assert.deepEqual([eng.json().kind, eng.json().memberCount, eng.json().version], ['user', 0, 1])
    ids['eng'] = eng.json().id
    const dup = await d.cli(['--json', 'groups', 'add', '--kind', 'user', '--name', 'Engineering'])
    assert.equal(dup.code, 1)
    assert.deepEqual([dup.error().details.serverCode, dup.error().details.field], ['SRV_DUPLICATE', '/body/name'])
    const devices = await d.cli(['--json', 'groups', 'add', '--kind', 'device', '--name', 'engineering'])
    assert.equal(devices.code, 0, devices.err)
    ids['eng-devices'] = devices.json().id
    assert.equal((await d.cli(['--json', 'groups', 'add', '--kind', 'team', '--name', 'x'])).code, 2)
  })

  it('finds a group by name, and asks for --kind when two kinds share it', async () => {
    const both = await d.cli(['--json', 'groups', 'show', 'engineering'])
    assert.equal(both.code, 2)
    assert.equal(both.error().code, 'CLI_ARG_INVALID')
    assert.match(both.error().message, /2 groups are named "engineering"/)
    const user = await d.cli(['--json', 'groups', 'show', 'engineering', '--kind', 'user'])
    assert.equal(user.code, 0, user.err)
    assert.equal(user.json().id, ids['eng'])
    assert.equal((await d.cli(['--json', 'groups', 'show', ids['eng-devices']!])).json().kind, 'device')
  })

  it('adds one member, then several in one request', async () => {
    const one = await d.cli(['--json', 'groups', 'add-member', ids['eng']!, ids['alice']!])
    assert.equal(one.code, 0, one.err)
    assert.deepEqual(one.json(), { groupId: ids['eng'], added: 1, removed: 0, memberCount: 1 })
    const again = await d.cli(['--json', 'groups', 'add-member', ids['eng']!, ids['alice']!])
    assert.equal(again.json().added, 0, 'adding a member twice is harmless')
    const many = await d.cli(['groups', 'add-member', 'engineering', '--kind', 'user', ids['bob']!, ids['carol']!, ids['alice']!])
    assert.equal(many.code, 0, many.err)
    assert.match(many.out, /Added 2 member\(s\) to "engineering" \(3 now\)/)
    const shown = await d.cli(['--json', 'groups', 'show', ids['eng']!])
    assert.deepEqual(shown.json().members.map((m: { username: string }) => m.username).sort(), ['alice', 'bob', 'carol'])
    const human = await d.cli(['groups', 'show', ids['eng']!, '--limit', '2', '--all'])
    assert.match(human.out, /USERNAME +NAME +STATUS +ID/)
    assert.equal(human.out.match(/person-/g)?.length, 3, 'every page of members')
    const filtered = (await d.cli(['--json', 'people', 'list', '--group', ids['eng']!])).json()
    assert.equal(filtered.people.length, 3)
    assert.equal((await d.cli(['--json', 'people', 'show', 'bob'])).json().groups[0].name, 'engineering')
  })

  it('names the bad id of a bulk add, and changes nothing', async () => {
    const g = (await d.cli(['--json', 'groups', 'add', '--kind', 'user', '--name', 'oncall'])).json()
    const r = await d.cli(['--json', 'groups', 'add-member', g.id, ids['alice']!, 'person-doesnotexist', ids['bob']!])
    assert.equal(r.code, 1)
    const e = r.error()
    assert.equal(e.details.memberId, 'person-doesnotexist')
    assert.match(e.message, /person-doesnotexist/)
    assert.match(e.hint, /nothing was changed/)
    assert.equal((await d.cli(['--json', 'groups', 'show', g.id])).json().memberCount, 0, 'all or nothing')
    const device = await d.cli(['--json', 'groups', 'add-member', g.id, 'dev-1'])
    assert.equal(device.code, 1, 'a device does not join a user group')
    assert.equal(device.error().details.status, 400)
    const bad = await d.cli(['--json', 'groups', 'add-member', g.id, '../etc'])
    assert.equal(bad.code, 2)
    assert.match(bad.error().message, /member id/)
  })

  it('puts devices in device groups', async () => {
    const r = await d.cli(['--json', 'groups', 'add-member', ids['eng-devices']!, 'dev-1'])
    assert.equal(r.code, 0, r.err)
    const human = await d.cli(['groups', 'show', ids['eng-devices']!])
    assert.match(human.out, /HOSTNAME +OS +PERSON +ID\nhost-1/)
  })

  it('removes members, one or several', async () => {
    const many = await d.cli(['--json', 'groups', 'rm-member', ids['eng']!, ids['alice']!, ids['bob']!])
    assert.equal(many.code, 0, many.err)
    assert.deepEqual([many.json().removed, many.json().memberCount], [2, 1])
    const one = await d.cli(['--json', 'groups', 'rm-member', ids['eng']!, ids['alice']!])
    assert.deepEqual([one.json().removed, one.json().memberCount], [0, 1], 'removing a non-member is harmless')
  })

  it('lists with filters, renames, and deletes only when confirmed', async () => {
    const users = (await d.cli(['--json', 'groups', 'list', '--kind', 'user'])).json()
    assert.deepEqual(users.groups.map((g: { name: string }) => g.name), ['engineering', 'oncall'])
    const q = (await d.cli(['--json', 'groups', 'list', '--query', 'CALL'])).json()
    assert.deepEqual(q.groups.map((g: { name: string }) => g.name), ['oncall'])
    const paged = (await d.cli(['--json', 'groups', 'list', '--limit', '1', '--all'])).json()
    assert.equal(paged.groups.length, 3)
    assert.equal((await d.cli(['--json', 'groups', 'edit', ids['eng']!])).code, 2, 'nothing to change')
    const renamed = await d.cli(['--json', 'groups', 'edit', ids['eng']!, '--name', 'platform', '--description', ''])
    assert.equal(renamed.code, 0, renamed.err)
    assert.deepEqual([renamed.json().name, renamed.json().description, renamed.json().version, renamed.json().memberCount], ['platform', '', 2, 1])
    const taken = await d.cli(['--json', 'groups', 'edit', 'platform', '--name', 'oncall'])
    assert.equal(taken.error().details.field, '/body/name')
    const noTty = await d.cli(['--json', 'groups', 'rm', 'platform'])
    assert.equal(noTty.error().code, 'CLI_CONFIRMATION_REQUIRED')
    const gone = await d.cli(['--json', 'groups', 'rm', 'platform', '--yes'])
    assert.equal(gone.code, 0, gone.err)
    assert.deepEqual([gone.json().deleted, gone.json().memberships], [true, 1])
    assert.deepEqual((await d.cli(['--json', 'people', 'show', 'carol'])).json().groups, [], 'no dangling membership')
  })
})
