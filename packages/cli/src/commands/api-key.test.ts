// `palisade api-key` end to end, in-process, against the real server (its
// SQLite file in a temp dir, listening on 127.0.0.1:0): create prints the key
// once, list shows it without the secret, revoke stops it working.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig as loadServerConfig, openDatabase, startServer, type ServerHandle } from '@palisade/server'
import { Secret, saveConfig } from '../config/config.js'
import type { CliDeps } from '../context.js'
import { run } from '../program.js'

describe('palisade api-key against a real server', () => {
  let dir: string
  let server: ServerHandle
  let home: string
  const cli = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = ''
    let err = ''
    const deps: CliDeps = {
      env: { PALISADE_HOME: home },
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      prompt: async () => undefined,
    }
    return { code: await run(argv, deps), out, err }
  }

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'palisade-cli-apikey-'))
    const config = loadServerConfig({ env: { PALISADE_DATA_DIR: join(dir, 'server'), PALISADE_LISTEN: '127.0.0.1:0', PALISADE_LOG_LEVEL: 'silent' }, argv: [], cwd: dir })
    server = await startServer(config, { handleSignals: false, setupCodeOutput: { write: () => undefined } })
    // The org and its first admin key, written as setup would (setup itself needs witnesses).
    const db = await openDatabase(config.databaseUrl)
    const secret = randomBytes(32).toString('base64url')
    await db.insertInto('orgs').values({ id: 'acme', name: 'acme', created_at: Date.now() }).execute()
    await db.insertInto('api_keys').values({
      id: 'setup-key', org_id: 'acme', name: 'first admin', prefix: 'abcdefgh', secret_hash: createHash('sha256').update(secret).digest('hex'),
      scopes: '["admin"]', created_at: Date.now(), expires_at: null, revoked_at: null, last_used_at: null, last_used_addr: null, created_by: null,
    }).execute()
    await db.destroy()
    home = join(dir, 'home')
    await fs.mkdir(home, { mode: 0o700 })
    await saveConfig(home, { server: server.url, orgId: 'acme', apiToken: new Secret(`pal_abcdefgh_${secret}`) })
  })
  after(async () => {
    await server.close()
    await fs.rm(dir, { recursive: true, force: true })
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
