/**
 * `palisade audit export` against a real server and witness, with real
 * events: console logins (one refused), an API key created, a device
 * enrolled, a command drafted and signed by two admins. The timeline is
 * checked line by line: oldest first, paged across many pages (page size
 * 2), the devices of command and device actions, the time and action
 * filters, the formats, the output file, and the log's signed actions
 * (--include-log) with their signers by name.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { setupOrg, PASSPHRASE, type Admin } from './org-setup.js'
import { ok, palisade, Proc } from './proc.js'

interface Line {
  time: string
  source: string
  id: string
  actorType: string
  actorId: string | null
  actorName: string | null
  action: string
  targetType: string | null
  targetId: string | null
  result: string
  statusCode: number | null
  sourceAddr: string | null
  requestId: string | null
  devices: string[]
  details: Record<string, unknown>
}

const PASSWORD = 'plum tractor sandwich 42'

describe('palisade audit export', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-e2e-audit-'))
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  let server: Proc
  let witness: Proc | undefined
  let url = ''
  let apiKey = ''
  let deviceId = ''
  let commandId = ''
  let start = 0
  let middle = 0
  const jsonl = (text: string): Line[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line)
  const exportLines = async (args: string[], who: Admin = 'carol'): Promise<Line[]> => jsonl(await ok(['audit', 'export', '--format', 'jsonl', ...args], home(who)))

  before(async () => {
    url = `http://127.0.0.1:${await freePort()}`
    server = new Proc(['server', '--listen', url.slice(7), '--data', join(dir, 'data')], {}, 'server')
    const code = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    start = Date.now() - 1
    const org = await setupOrg(dir, url, code)
    witness = org.witness
    apiKey = org.apiKey
  })

  after(async () => {
    await Promise.all([server?.stop(), witness?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('records real actions: logins, an API key, an enrolled device, a command signed by two admins', async () => {
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    const add = await fetch(`${url}/v1/orgs/acme/admins`, {
      method: 'POST', headers: auth,
      body: JSON.stringify({ username: 'olga', email: 'olga@example.com', name: 'Olga', password: PASSWORD, role: 'owner' }),
    })
    assert.equal(add.status, 201, await add.text())
    const login = (password: string) =>
      fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'olga', password }) })
    assert.equal((await login('wrong password entirely')).status, 401)
    assert.equal((await login(PASSWORD)).status, 200)
    middle = Date.now()
    await new Promise((r) => setTimeout(r, 5)) // events after `middle` get a later millisecond
    await ok(['api-key', 'create', '--name', 'ci', '--scope', 'read'], home('alice'))
    const t = JSON.parse(await ok(['--json', 'token', 'create'], home('alice')))
    const args = (t.installCommand as string).split(' ').slice(1)
    deviceId = JSON.parse(await ok(['--json', ...args, '--state-dir', join(dir, 'agent')])).deviceId
    commandId = JSON.parse(await ok(['--json', 'command', 'create', '--targets', deviceId, '--script', 'echo audited'], home('alice'))).id
    await ok(['command', 'sign', commandId, '--key', 'alice', '--yes'], home('alice'))
    await ok(['command', 'sign', commandId, '--key', 'bob', '--yes'], home('bob'))
  })

  it('exports every event oldest first across many pages, with who, what, when, where and which devices', async () => {
    const lines = await exportLines(['--since', '1h', '--page-size', '2'])
    // The server's own answer, newest first in one page, is the reference.
    const res = await fetch(`${url}/v1/orgs/acme/audit?limit=1000&since=${start}`, { headers: { authorization: `Bearer ${apiKey}` } })
    const served = ((await res.json()) as { events: { id: string }[] }).events
    assert.ok(served.length > 8, `enough events for several pages (${served.length})`)
    assert.deepEqual(lines.map((l) => l.id), served.map((e) => e.id).reverse(), 'the same events, oldest first')
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.time <= lines[i]!.time, 'oldest first')
    for (const l of lines) {
      assert.match(l.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      assert.equal(l.source, 'audit')
    }
    const failed = lines.find((l) => l.action === 'session.login' && l.result === 'failure')!
    assert.equal(failed.actorName, 'olga')
    assert.equal(failed.sourceAddr, '127.0.0.1')
    assert.ok(lines.some((l) => l.action === 'session.login' && l.result === 'success' && l.actorType === 'admin'))
    const key = lines.find((l) => l.action === 'apikey.create')!
    assert.equal(key.actorType, 'api-key')
    assert.equal(key.result, 'success')
    assert.equal(key.statusCode, 201)
    assert.match(key.requestId ?? '', /\S/)
    const enroll = lines.find((l) => l.action === 'device.enroll')!
    assert.deepEqual(enroll.devices, [deviceId])
    const create = lines.find((l) => l.action === 'command.create')!
    assert.equal(create.targetId, commandId)
    assert.deepEqual(create.devices, [deviceId])
    const signs = lines.filter((l) => l.action === 'command.sign')
    assert.equal(signs.length, 2)
    for (const s of signs) assert.deepEqual(s.devices, [deviceId])
    assert.ok(lines.findIndex((l) => l.action === 'command.create') < lines.findIndex((l) => l.action === 'command.sign'))
  })

  it('applies --since, --until and --action', async () => {
    const at = new Date(middle).toISOString()
    const later = await exportLines(['--since', at])
    assert.ok(later.length > 0 && later.every((l) => Date.parse(l.time) >= middle))
    assert.ok(!later.some((l) => l.action === 'session.login'), 'the logins happened before --since')
    const earlier = await exportLines(['--since', new Date(start).toISOString().slice(0, 10), '--until', at])
    assert.ok(earlier.some((l) => l.action === 'session.login') && earlier.every((l) => Date.parse(l.time) < middle))
    const signs = await exportLines(['--since', '1d', '--action', 'command.*', '--page-size', '1'])
    assert.deepEqual(signs.map((l) => l.action), ['command.create', 'command.sign', 'command.sign'])
  })

  it('refuses bad times naming the flag, without contacting the server', async () => {
    for (const [flag, value] of [['--since', 'yesterday'], ['--since', '2023-02-30'], ['--since', '2023-06-27T10:00'], ['--until', '12']] as const) {
      const args = flag === '--since' ? ['--since', value] : ['--since', '1d', '--until', value]
      const r = await palisade(['audit', 'export', '--format', 'jsonl', ...args], home('carol'))
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, new RegExp(`invalid ${flag}`))
      assert.equal(r.stdout, '')
    }
    const backwards = await palisade(['audit', 'export', '--format', 'jsonl', '--since', '1h', '--until', '2h'], home('carol'))
    assert.equal(backwards.code, 2)
    assert.match(backwards.stderr, /--until/)
  })

  it('writes json and csv files atomically, and never replaces a file', async () => {
    const jsonFile = join(dir, 'timeline.json')
    const summary = JSON.parse(await ok(['--json', 'audit', 'export', '--since', '1h', '--format', 'json', '--out', jsonFile, '--page-size', '3'], home('carol')))
    const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as Line[]
    assert.equal(summary.auditEvents, doc.length)
    assert.ok(doc.some((l) => l.action === 'command.sign'))
    const csvFile = join(dir, 'timeline.csv')
    await ok(['audit', 'export', '--since', '1h', '--format', 'csv', '--out', csvFile], home('carol'))
    const rows = readFileSync(csvFile, 'utf8').split('\r\n')
    assert.equal(rows[0], 'time,source,id,actorType,actorId,actorName,action,targetType,targetId,result,statusCode,sourceAddr,requestId,devices,details')
    assert.equal(rows.filter((r) => r !== '').length, doc.length + 1)
    writeFileSync(join(dir, 'taken.jsonl'), 'keep me\n')
    const taken = await palisade(['audit', 'export', '--since', '1h', '--format', 'jsonl', '--out', join(dir, 'taken.jsonl')], home('carol'))
    assert.equal(taken.code, 1)
    assert.match(taken.stderr, /already exists/)
    assert.equal(readFileSync(join(dir, 'taken.jsonl'), 'utf8'), 'keep me\n')
    assert.ok(!existsSync(join(dir, '.taken.jsonl.tmp')))
  })

  it('adds the verified log: root v1 and the command, signed by alice and bob', async () => {
    const lines = await exportLines(['--since', '1d', '--include-log'])
    const log = lines.filter((l) => l.source === 'log')
    assert.deepEqual(log.map((l) => l.action), ['log.root', 'log.command'])
    const cmd = log[1]!
    assert.equal(cmd.targetId, commandId)
    assert.deepEqual(cmd.devices, [deviceId])
    assert.deepEqual(cmd.details['signers'], ['alice', 'bob'])
    assert.equal(cmd.actorName, 'alice,bob')
    assert.ok(lines.some((l) => l.source === 'audit'))
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.time <= lines[i]!.time, 'merged oldest first')
  })
})
