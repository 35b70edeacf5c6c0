// `palisade api-key` end to end, in-process, against the real server (its
// SQLite file in a temp dir, listening on 127.0.0.1:0): create prints the key
// once, list shows it without the secret, revoke stops it working.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startDirectoryOrg, type DirectoryOrg } from '../testing/directory-org.test.helper.js'

describe('palisade api-key against a real server', () => {
  let org: DirectoryOrg
  const cli = (argv: string[]): ReturnType<DirectoryOrg['cli']> => org.cli(argv)

  before(async () => {
    org = await startDirectoryOrg('apikey')
  })
  after(async () => {
    await org.close()
  })

  it('creates (shown once), lists (no secret) and revokes a key', async () => {
    const created = await cli(['--json', 'api-key', 'create', '--name', 'ci runner', '--scope', 'read', '--scope', 'commands', '--expires-in-days', '7'])
    assert.equal(created.code, 0, created.err)
    const k = JSON.parse(created.out)
    assert.match(k.key, /^pal_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(k.scopes, ['read', 'commands'])
    assert.ok(Math.abs(k.expiresAt - (Date.now() + 7 * 86_400_000)) < 60_000)

    const human = await cli(['api-key', 'list'])
    assert.equal(human.code, 0, human.err)
    assert.match(human.out, /ci runner/)
    assert.ok(!human.out.includes(k.key.slice(13)), 'the list never shows a secret')
    const listed = JSON.parse((await cli(['--json', 'api-key', 'list'])).out).apiKeys
    assert.deepEqual(listed.map((x: { name: string }) => x.name).sort(), ['ci runner', 'first admin'])

    const revoked = await cli(['--json', 'api-key', 'revoke', k.id])
    assert.equal(revoked.code, 0, revoked.err)
    assert.equal(JSON.parse(revoked.out).id, k.id)
    const after = JSON.parse((await cli(['--json', 'api-key', 'list'])).out).apiKeys.find((x: { id: string }) => x.id === k.id)
    assert.equal(typeof after.revokedAt, 'number')
  })

  it('refuses bad arguments before calling the server', async () => {
    assert.notEqual((await cli(['api-key', 'create', '--name', 'x', '--scope', 'root'])).code, 0)
    assert.notEqual((await cli(['api-key', 'create', '--name', 'x', '--scope', 'read', '--expires-in-days', '400'])).code, 0)
    assert.notEqual((await cli(['api-key', 'revoke', '../etc'])).code, 0)
  })
})
