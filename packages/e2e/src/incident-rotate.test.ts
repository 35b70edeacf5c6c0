/**
 * `palisade incident rotate-credentials` end to end, with real processes:
 * a server on SQLite, a witness pinning the org root, a running agent, and
 * three admins. Before the rotation there is a console session, an unused
 * enrollment token and a second API key; after it the old key, the old
 * session and the old token are refused and the reissued keys work. The
 * admins sign and upload the drafted root v2 (new log key): the witness
 * cosigns under the new key, and a command then runs on the agent. A
 * checkpoint signed with the OLD log key is refused by the witness and by
 * the agent (rejection reported with a PROTO_* code).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { note } from '@palisade/protocol'
import { freePort } from './free-port.js'
import { setupOrg, PASSPHRASE, type Admin } from './org-setup.js'
import { ok, palisade, Proc, until } from './proc.js'

const PASSWORD = 'plum tractor sandwich 42'

describe('palisade incident rotate-credentials', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-e2e-incident-'))
  const data = join(dir, 'data')
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  let server: Proc
  let witness: Proc | undefined
  let agent: Proc | undefined
  let port = 0
  let url = ''
  let wurl = ''
  let fingerprint = ''
  let oldKey = ''
  let ciKey = ''
  let cookie = ''
  let unusedToken: string[] = []
  let deviceId = ''
  let rotated: any
  let oldSigner = ''
  const get = (path: string, headers: Record<string, string>) => fetch(`${url}${path}`, { headers })
  const startServer = async (): Promise<string | undefined> => {
    server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', data], {}, 'server')
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    return server.output.match(/setup code[^:]*: ([A-Z0-9-]+)/)?.[1]
  }
  const runCommand = async (text: string): Promise<any> => {
    const id = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', `echo ${text}`], home('alice'))).id
    await ok(['command', 'sign', id, '--key', 'alice', '--yes'], home('alice'))
    await ok(['command', 'sign', id, '--key', 'bob', '--yes'], home('bob'))
    return JSON.parse(await ok(['--json', 'command', 'status', id, '--wait', '--timeout', '60s'], home('carol')))
  }

  before(async () => {
    port = await freePort()
    url = `http://127.0.0.1:${port}`
    const code = await startServer()
    const org = await setupOrg(dir, url, code!)
    witness = org.witness
    wurl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!
    fingerprint = org.fingerprint
    oldKey = org.apiKey
  })

  after(async () => {
    await Promise.all([agent?.stop(), server?.stop(), witness?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('sets the scene: an agent running a command, a console session, an unused token, a CI key', async () => {
    const t = JSON.parse(await ok(['--json', 'token', 'create'], home('alice')))
    deviceId = JSON.parse(await ok(['--json', ...(t.installCommand as string).split(' ').slice(1), '--state-dir', join(dir, 'agent')])).deviceId
    agent = new Proc(['agent', 'run', '--state-dir', join(dir, 'agent')], {}, 'agent')
    const before = await runCommand('before')
    assert.equal(before.results[0].stdout, 'before\n')

    const auth = { authorization: `Bearer ${oldKey}`, 'content-type': 'application/json' }
    const add = await fetch(`${url}/v1/orgs/acme/admins`, { method: 'POST', headers: auth, body: JSON.stringify({ username: 'olga', email: 'olga@example.com', name: 'Olga', password: PASSWORD, role: 'owner' }) })
    assert.equal(add.status, 201, await add.text())
    const login = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olga', password: PASSWORD }) })
    assert.equal(login.status, 200)
    cookie = String(login.headers.get('set-cookie')).split(';')[0]!
    assert.equal((await get('/v1/me', { cookie })).status, 200)
    unusedToken = (JSON.parse(await ok(['--json', 'token', 'create'], home('alice'))).installCommand as string).split(' ').slice(1)
    ciKey = JSON.parse(await ok(['--json', 'api-key', 'create', '--name', 'ci', '--scope', 'read'], home('alice'))).key
    assert.equal((await get('/v1/orgs/acme/devices', { authorization: `Bearer ${ciKey}` })).status, 200)
  })

  it('refuses to start without --yes, changing nothing', async () => {
    const r = await palisade(['incident', 'rotate-credentials', '--out', join(dir, 'v2.json')], home('alice'))
    assert.equal(r.code, 1)
    assert.match(r.stderr, /--yes/)
    assert.equal((await get('/v1/orgs/acme/devices', { authorization: `Bearer ${oldKey}` })).status, 200)
  })

  it('revokes and reissues every credential in one call, saves the caller key, and drafts root v2 with the new log key', async () => {
    const db = new Database(join(data, 'palisade.db'), { readonly: true })
    oldSigner = (db.prepare(`SELECT signer_key FROM log_keys WHERE org_id = 'acme'`).get() as { signer_key: string }).signer_key
    db.close()
    const r = await palisade(['--json', 'incident', 'rotate-credentials', '--out', join(dir, 'v2.json'), '--yes'], home('alice'))
    assert.equal(r.code, 0, r.stderr)
    rotated = JSON.parse(r.stdout)
    assert.deepEqual(rotated.revoked, { apiKeys: 2, sessions: 1, enrollmentTokens: 1 })
    assert.equal(rotated.apiKeys.length, 2)
    assert.ok(rotated.apiKeys.some((k: any) => k.name === 'ci' && k.replaces !== undefined && k.scopes.join() === 'read'))
    const mine = rotated.apiKeys.find((k: any) => k.yours)
    assert.ok(mine, 'the caller key is among them')
    const config = JSON.parse(readFileSync(join(dir, 'home-alice', 'config.json'), 'utf8'))
    assert.equal(config.apiToken, mine.key)
    assert.ok(!r.stderr.includes(mine.key), 'keys never go to stderr')
    assert.equal(rotated.root.version, 2)
    assert.equal(rotated.root.log.key, rotated.log.pendingKey)
    assert.notEqual(rotated.log.pendingKey, rotated.log.currentKey)
  })

  it('the old key, session and enrollment token are refused; the new keys work', async () => {
    assert.equal((await get('/v1/orgs/acme/devices', { authorization: `Bearer ${oldKey}` })).status, 401)
    assert.equal((await get('/v1/orgs/acme/devices', { authorization: `Bearer ${ciKey}` })).status, 401)
    assert.equal((await get('/v1/me', { cookie })).status, 401)
    const enroll = await palisade(['--json', ...unusedToken, '--state-dir', join(dir, 'agent-late')])
    assert.notEqual(enroll.code, 0)
    assert.match(enroll.stderr, /401|SRV_UNAUTHENTICATED|token/i)
    for (const k of rotated.apiKeys) assert.equal((await get('/v1/orgs/acme/devices', { authorization: `Bearer ${k.key}` })).status, 200, k.name)
    await ok(['devices', 'list'], home('alice'))
    const mine = rotated.apiKeys.find((k: any) => k.yours).key
    for (const who of ['bob', 'carol'] as const) await ok(['login', '--server', url, '--org', 'acme', '--api-key', mine, '--fingerprint', fingerprint], home(who))
  })

  it('signs and uploads root v2: the witness cosigns under the new log key, and a command runs on the agent', async () => {
    const v2 = join(dir, 'v2.json')
    await ok(['root', 'sign', v2, '--key', 'alice', '--yes'], home('alice'))
    await ok(['root', 'sign', v2, '--key', 'bob', '--yes'], home('bob'))
    await ok(['root', 'upload', v2, '--witness-url', wurl], home('alice'))
    const cp = (await (await get('/v1/orgs/acme/log/checkpoint', { authorization: `Bearer ${rotated.apiKeys.find((k: any) => k.yours).key}` })).json()) as { note: string }
    const newVerifier = note.verifierFromString(rotated.log.pendingKey)
    const oldVerifier = note.verifierFromString(rotated.log.currentKey)
    assert.doesNotThrow(() => note.open(cp.note, [newVerifier]))
    assert.throws(() => note.open(cp.note, [oldVerifier]))
    const after = await runCommand('after')
    assert.equal(after.results[0].stdout, 'after\n')
    await ok(['log', 'audit'], home('carol')) // the whole log, across the key change, verifies from the pin
  })

  it('a checkpoint signed with the old log key is refused by the witness and by the agent', async () => {
    const key = rotated.apiKeys.find((k: any) => k.yours).key
    const latest = ((await (await get('/v1/orgs/acme/log/checkpoint', { authorization: `Bearer ${key}` })).json()) as { note: string }).note
    const forged = await resign(latest, oldSigner)
    // The witness: add-checkpoint of the same size, empty proof.
    const size = Number(latest.split('\n')[1])
    const w = await fetch(`${wurl}/add-checkpoint`, { method: 'POST', body: `old ${size}\n\n${forged}` })
    assert.equal(w.status, 403, await w.text())
    // The agent: the server (its database) serves the old-key checkpoint.
    await server.stop()
    const db = new Database(join(data, 'palisade.db'))
    db.prepare(`UPDATE checkpoints SET note = ? WHERE org_id = 'acme' AND size = ?`).run(forged, size)
    db.close()
    await startServer()
    await until(async () => {
      const alerts = JSON.parse(await ok(['--json', 'alerts'], home('alice'))).alerts as { code: string; deviceId: string }[]
      return alerts.find((a) => a.deviceId === deviceId && /^PROTO_/.test(a.code))
    }, 60_000, 'the agent to refuse the old-key checkpoint')
  })
})

/** The same checkpoint with its log signature made by `signerKey` instead (witness cosignatures kept: they cover the text only). */
async function resign(cosigned: string, signerKey: string): Promise<string> {
  const split = cosigned.indexOf('\n\n')
  const text = cosigned.slice(0, split + 1)
  const lines = cosigned.slice(split + 2).split('\n').filter((l) => l !== '')
  const signer = await note.signerFromString(signerKey)
  const fresh = (await note.sign(text, [signer])).slice(text.length + 1).split('\n').filter((l) => l !== '')
  const origin = text.split('\n', 1)[0]!
  return text + '\n' + [...fresh, ...lines.filter((l) => !l.startsWith(`— ${origin} `))].join('\n') + '\n'
}
