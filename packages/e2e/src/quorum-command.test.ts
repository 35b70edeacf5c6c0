/**
 * The user's path of the README, end to end, with real processes on
 * loopback: a server on SQLite, a witness, three admins with their own
 * keystores, three agents with their own state dirs, all driven through the
 * `palisade` CLI. It checks the promise: one signature of a 2-of-3 policy
 * runs nothing; the second runs the command on every agent; restarts lose
 * nothing and re-run nothing; the log audit passes, and fails once a stored
 * entry is tampered with in the database.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs'
import { hostname, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { freePort } from './free-port.js'
import { setupOrg, PASSPHRASE, type Admin } from './org-setup.js'
import { ok, palisade, Proc, sleep, until } from './proc.js'


describe('a quorum-signed command on three real agents', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-e2e-'))
  const sentinels = join(dir, 'sentinels')
  const data = join(dir, 'data')
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  let server: Proc
  let witness: Proc
  const agents: Proc[] = []
  let serverPort = 0
  let url = ''
  let fingerprint = ''
  let commandId = ''
  const deviceIds: string[] = []

  const startServer = async (): Promise<string> => {
    server = new Proc(['server', '--listen', `127.0.0.1:${serverPort}`, '--data', data], {}, 'server')
    const m = await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/)
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    return m[1]!
  }
  const startAgent = (i: number): Proc => new Proc(['agent', 'run', '--state-dir', join(dir, `agent${i}`)], {}, `agent${i}`)
  const ranCount = (): number => readdirSync(sentinels).length
  // `command status` exits 1 while targets have not answered, so read its JSON whatever the exit code.
  const status = async (who: Admin = 'alice'): Promise<any> => JSON.parse((await palisade(['--json', 'command', 'status', commandId], home(who))).stdout)

  before(async () => {
    mkdirSync(sentinels)
    serverPort = await freePort()
    url = `http://127.0.0.1:${serverPort}`
  })

  after(async () => {
    await Promise.all([...agents.map((a) => a.stop()), server?.stop(), witness?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('sets up an org with a 2-of-3 command policy and a witness', async () => {
    const setupCode = await startServer()
    const org = await setupOrg(dir, url, setupCode)
    witness = org.witness
    fingerprint = org.fingerprint
    assert.match(fingerprint, /^[0-9a-f]{64}$/)
  })

  it('enrolls three agents with the printed install command', async () => {
    const t = JSON.parse(await ok(['--json', 'token', 'create', '--uses', '3'], home('alice')))
    assert.match(t.installCommand, /^palisade agent enroll --server \S+ --token \S+ --fingerprint [0-9a-f]{64}$/)
    const args = (t.installCommand as string).split(' ').slice(1)
    for (let i = 0; i < 3; i++) {
      const out = JSON.parse(await ok(['--json', ...args, '--state-dir', join(dir, `agent${i}`)]))
      deviceIds.push(out.deviceId)
      agents.push(startAgent(i))
    }
    await until(async () => {
      const d = JSON.parse(await ok(['--json', 'devices', 'list'], home('carol'))).devices as { online: boolean }[]
      return d.length === 3 && d.every((x) => x.online)
    }, 30_000, 'three agents online')
    // Real inventory from this machine: its hostname, its kernel, and the listening port of our own server.
    const inv = JSON.parse(await ok(['--json', 'devices', 'show', deviceIds[0]!], home('carol'))).inventory
    assert.equal(inv.hostname, hostname())
    assert.equal(inv.kernel.release, release())
    assert.ok(
      (inv.listeningPorts as { port: number }[]).some((p) => p.port === serverPort),
      'the server port is among the listening ports',
    )
  })

  it('runs nothing on one signature of a 2-of-3 policy, and shows it waiting', async () => {
    const c = JSON.parse(
      await ok(['--json', 'command', 'create', '--targets', 'all', '--script', `mktemp ${sentinels}/ran.XXXXXX >/dev/null; echo hello from palisade`], home('alice')),
    )
    commandId = c.id
    await ok(['command', 'sign', commandId, '--key', 'alice', '--yes'], home('alice'))
    await sleep(2000)
    assert.equal(ranCount(), 0, 'no agent ran the command')
    const s = await status()
    assert.equal(s.status, 'awaiting-signatures')
    assert.equal(s.signatures.length, 1)
  })

  it('runs it on all three agents after the second signature, with matching results', async () => {
    await ok(['command', 'sign', commandId, '--key', 'bob', '--yes'], home('bob'))
    const waited = JSON.parse(await ok(['--json', 'command', 'status', commandId, '--wait', '--timeout', '60s'], home('carol')))
    assert.equal(waited.results.length, 3)
    for (const r of waited.results) {
      assert.equal(r.exitCode, 0)
      assert.equal(r.stdout, 'hello from palisade\n')
    }
    assert.deepEqual(waited.results.map((r: { deviceId: string }) => r.deviceId).sort(), [...deviceIds].sort())
    assert.equal(ranCount(), 3)
  })

  it('keeps everything across a server restart', async () => {
    await server.stop()
    await startServer()
    const s = await status('carol')
    assert.equal(s.status, 'done')
    assert.equal(s.results.length, 3)
    await until(async () => {
      const d = JSON.parse(await ok(['--json', 'devices', 'list'], home('carol'))).devices as { online: boolean }[]
      return d.length === 3 && d.every((x) => x.online)
    }, 30_000, 'agents reconnected')
  })

  it('never re-runs a command: not after an agent restart, not when the server delivers it again', async () => {
    await agents[0]!.stop()
    // The server (or whoever owns its database) queues the executed command again.
    const db = new Database(join(data, 'palisade.db'))
    db.prepare(`UPDATE deliveries SET status = 'pending' WHERE device_id = ?`).run(deviceIds[0])
    db.close()
    agents[0] = startAgent(0)
    await until(async () => {
      const a = JSON.parse(await ok(['--json', 'alerts'], home('alice'))).alerts as { code: string; deviceId: string }[]
      return a.some((x) => x.code === 'PROTO_REPLAY' && x.deviceId === deviceIds[0])
    }, 30_000, 'the replay rejection to reach the server as an alert')
    assert.equal(ranCount(), 3, 'still exactly three runs')
  })

  it('passes the log audit, then fails it once a stored log entry is tampered with', async () => {
    const audit = await palisade(['log', 'audit'], home('carol'))
    assert.equal(audit.code, 0, audit.stdout + audit.stderr)
    const db = new Database(join(data, 'palisade.db'))
    const row = db.prepare('SELECT leaf_data FROM log_entries WHERE idx = 1').get() as { leaf_data: Buffer }
    const env = JSON.parse(row.leaf_data.toString())
    env.payload = Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('hello from palisade', 'pwned')).toString('base64')
    db.prepare('UPDATE log_entries SET leaf_data = ? WHERE idx = 1').run(Buffer.from(JSON.stringify(env)))
    db.close()
    const bad = await palisade(['log', 'audit'], home('carol'))
    assert.equal(bad.code, 1)
    assert.match(bad.stdout + bad.stderr, /AUDIT_/)
  })
})
