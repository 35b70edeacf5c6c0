/**
 * One node as several worker processes (`palisade server --workers 2`),
 * end to end, with real processes on loopback: a primary and two workers
 * on one fresh PostgreSQL database and the NATS at 127.0.0.1:4222, a
 * witness, an org set up through the CLI, one real agent and simulated
 * agents (`palisade sim`: real keys, enrollment, WebSockets and
 * verification) spread over both workers.
 *
 * It checks what `--workers` promises: refusals with the reason (SQLite,
 * no bus, bad counts); one setup code for the node; both workers holding
 * agents (per-worker series on the primary's /metrics); a quorum-signed
 * command completed by every device; the primary holding no descriptor
 * per connection; no secret (key, database password) on a worker's
 * command line, in its environment or in any log line; a worker killed with SIGKILL restarted, its agents back,
 * and the next command completed by every device; SIGTERM to the primary
 * stopping every process with exit status 0.
 *
 * Skipped with the reason when PostgreSQL or NATS does not answer
 * (pg-nats.ts).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { setupOrg, type Org } from './org-setup.js'
import { adminQuery, freshDatabase, NATS_URL, pgNatsSkipReason } from './pg-nats.js'
import { ok, palisade, Proc, until } from './proc.js'

const SIM_AGENTS = 12
/** The real agent and the simulated ones. */
const DEVICES = SIM_AGENTS + 1
const SIM_STDOUT = '[palisade sim: not executed]\n'
const NODE = 'wk'

const SKIP = await pgNatsSkipReason()

/** The primary's JSON log lines with this `msg`. */
function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('one node, two worker processes (palisade server --workers 2)', { timeout: 180_000, skip: SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-workers-'))
  const sentinels = join(dir, 'sentinels')
  const db = freshDatabase('palisade_workers')
  let server: Proc | undefined
  let agent: Proc | undefined
  let sim: Proc | undefined
  let org: Org
  let url = ''
  let metricsUrl = ''
  let primaryFdsAtStart = 0
  let realDeviceId = ''
  const secretKey = randomBytes(32).toString('base64')
  // Trust authentication ignores the password: it is there to stay hidden.
  const dbPassword = `pw${randomBytes(8).toString('hex')}`
  const secretDbUrl = (() => {
    const u = new URL(db.url)
    u.password = dbPassword
    return u.href
  })()

  /** node → pid of the latest start of each worker, from the primary's log. */
  const workerPids = (): Map<string, number> =>
    new Map(logLines(server!.output, 'worker started').map((l) => [l['workerNode'] as string, l['workerPid'] as number]))
  /** node → connected agents, from the primary's /metrics (undefined while a scrape fails). */
  const connected = async (): Promise<Map<string, number> | undefined> => {
    const res = await fetch(metricsUrl).catch(() => undefined)
    if (res?.status !== 200) return undefined
    const text = await res.text()
    return new Map([...text.matchAll(/^palisade_agents_connected\{node="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))
  }
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
  const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length
  /** Creates a command for all devices, signs it 2 of 3, waits until done; returns the results. */
  const runCommand = async (tag: string): Promise<{ deviceId: string; status: string; stdout: string }[]> => {
    const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', `touch ${sentinels}/${tag}.$$; echo ran ${tag}`], org.home('alice')))
    await ok(['command', 'sign', c.id, '--key', 'alice', '--yes'], org.home('alice'))
    await ok(['command', 'sign', c.id, '--key', 'bob', '--yes'], org.home('bob'))
    const done = JSON.parse(await ok(['--json', 'command', 'status', c.id, '--wait', '--timeout', '60s'], org.home('carol')))
    assert.equal(done.status, 'done')
    return done.results
  }
  const assertEveryDevice = (results: { deviceId: string; status: string; stdout: string }[], tag: string): void => {
    assert.equal(results.length, DEVICES)
    assert.equal(new Set(results.map((r) => r.deviceId)).size, DEVICES)
    for (const r of results) {
      assert.equal(r.status, 'completed')
      assert.equal(r.stdout, r.deviceId === realDeviceId ? `ran ${tag}\n` : SIM_STDOUT)
    }
    assert.equal(readdirSync(sentinels).filter((f) => f.startsWith(`${tag}.`)).length, 1, 'the real agent ran it once')
  }

  before(async () => {
    mkdirSync(sentinels)
    await db.create()
  })
  after(async () => {
    if (process.env['PALISADE_E2E_DEBUG'] === '1' && server !== undefined) console.error(server.output)
    await Promise.all([sim?.stop(), agent?.stop()])
    await Promise.all([server?.stop(), org?.witness.stop()])
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses --workers 2 on SQLite or without a bus, and counts that are not 1 to 64, saying why', async () => {
    const listen = ['--listen', '127.0.0.1:0', '--data', join(dir, 'refused')]
    const cases: [string[], RegExp][] = [
      [['--workers', '2'], /--workers: above 1 needs a PostgreSQL database \(--database-url postgres:\/\/…\): worker processes on one SQLite file would each keep their own log caches/],
      [['--workers', '2', '--database-url', db.url], /--workers: above 1 needs a bus \(--bus nats:\/\/host:port\): the in-process bus does not reach other worker processes/],
      [['--workers', '0', '--database-url', db.url, '--bus', NATS_URL], /--workers: must be a whole number of worker processes from 1 to 64/],
      [['--workers', 'x', '--database-url', db.url, '--bus', NATS_URL], /--workers: must be a whole number of worker processes from 1 to 64/],
    ]
    const runs = await Promise.all(cases.map(([args]) => palisade(['server', ...listen, ...args], { PALISADE_WORKERS: '' })))
    for (const [i, r] of runs.entries()) {
      assert.notEqual(r.code, 0, r.stdout + r.stderr)
      assert.match(r.stderr, cases[i]![1])
      assert.doesNotMatch(r.stdout + r.stderr, /setup code|listening/)
    }
    // The database was never touched: refusals come before anything opens.
    const tables = await adminQuery(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`, db.url)
    assert.equal(tables.rows[0].n, 0)
  })

  it('exits non-zero, leaving no process behind and no setup code made, when the workers cannot listen', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    try {
      const port = (taken.address() as AddressInfo).port
      const r = await palisade(
        ['server', '--workers', '2', '--listen', `127.0.0.1:${port}`, '--database-url', db.url, '--bus', NATS_URL, '--data', join(dir, 'in-use')],
        { PALISADE_SECRET_KEY: randomBytes(32).toString('base64'), PALISADE_LOG_LEVEL: 'info' },
      )
      assert.equal(r.code, 1, r.stdout + r.stderr)
      assert.match(r.stderr, /the server could not start: the address is already in use/)
      const failed = logLines(r.stdout, 'worker could not start')
      assert.equal(failed.length, 1, 'the first worker fails; the others are not forked')
      assert.ok(!alive(failed[0]!['pid'] as number))
      assert.doesNotMatch(r.stdout, /setup code/)
      const codes = await adminQuery('select count(*)::int as n from setup_codes', db.url)
      assert.equal(codes.rows[0].n, 0, 'a start that failed invalidates no setup code')
    } finally {
      taken.close()
    }
  })

  it('starts a primary and two workers: one setup code and one URL line for the node, both workers on one port', async () => {
    const port = await freePort()
    server = new Proc(
      ['server', '--workers', '2', '--listen', `127.0.0.1:${port}`, '--bus', NATS_URL, '--node-id', NODE,
        '--metrics-listen', '127.0.0.1:0', '--data', join(dir, 'data')],
      { PALISADE_SECRET_KEY: secretKey, PALISADE_DATABASE_URL: secretDbUrl, PALISADE_LOG_LEVEL: 'info' },
      'server',
    )
    const code = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/, 30_000))[1]!
    url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!
    assert.equal(url, `http://127.0.0.1:${port}`)
    metricsUrl = (await server.waitFor(/metrics: (http:\/\/\S+\/metrics)/))[1]!
    assert.equal(server.output.match(/setup code/g)?.length, 1, 'the setup code is printed once')
    assert.equal(server.output.match(/listening on http/g)?.length, 1, 'the URL is printed once')
    const unused = await adminQuery('select count(*)::int as n from setup_codes where used_at is null', db.url)
    assert.equal(unused.rows[0].n, 1, 'one setup code for the node, not one per worker')

    const pids = workerPids()
    assert.deepEqual([...pids.keys()].sort(), [`${NODE}-w1`, `${NODE}-w2`])
    for (const pid of pids.values()) {
      assert.notEqual(pid, server.child.pid)
      for (const file of ['cmdline', 'environ']) {
        const text = readFileSync(`/proc/${pid}/${file}`, 'utf8')
        assert.ok(!text.includes(secretKey) && !text.includes(dbPassword), `worker ${pid}'s ${file} carries no secret`)
      }
    }
    primaryFdsAtStart = fds(server.child.pid!)
    // Both workers answer on the shared port (round robin: consecutive connections alternate).
    for (let i = 0; i < 4; i++) {
      const health = await fetch(`${url}/healthz`, { headers: { connection: 'close' } })
      assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', checks: { database: 'ok', bus: 'ok' } }])
    }
    await until(async () => (await connected())?.size === 2, 10_000, 'both workers in /metrics')
    org = await setupOrg(dir, url, code)
  })

  it('spreads agents over both workers and completes a quorum-signed command on every device', async () => {
    const t = JSON.parse(await ok(['--json', 'token', 'create', '--uses', String(DEVICES)], org.home('alice')))
    const enrolled = JSON.parse(await ok(['--json', ...(t.installCommand as string).split(' ').slice(1), '--state-dir', join(dir, 'agent')]))
    realDeviceId = enrolled.deviceId
    agent = new Proc(['agent', 'run', '--state-dir', join(dir, 'agent')], {}, 'agent')
    sim = new Proc(
      ['--json', 'sim', '--agents', String(SIM_AGENTS), '--server', url, '--token', t.token, '--fingerprint', org.fingerprint,
        '--state-dir', join(dir, 'sim'), '--status-every', '1s'],
      {},
      'sim',
    )
    const spread = await until(async () => {
      const c = await connected()
      return c !== undefined && total(c) === DEVICES ? c : undefined
    }, 60_000, `${DEVICES} agents connected`)
    for (const node of [`${NODE}-w1`, `${NODE}-w2`]) assert.ok((spread.get(node) ?? 0) > 0, `${node} holds agents: ${JSON.stringify([...spread])}`)

    assertEveryDevice(await runCommand('first'), 'first')
    // The primary passes each accepted socket to a worker and closes its copy.
    const primaryFds = fds(server!.child.pid!)
    assert.ok(primaryFds < primaryFdsAtStart + DEVICES / 2, `the primary holds ${primaryFds} descriptors (${primaryFdsAtStart} at start) with ${DEVICES} agents connected`)
  })

  it('restarts a worker killed with SIGKILL; its agents come back and the next command reaches every device', async () => {
    const victim = `${NODE}-w1`
    const oldPid = workerPids().get(victim)!
    const before = (await connected())!
    assert.ok((before.get(victim) ?? 0) > 0)
    process.kill(oldPid, 'SIGKILL')
    await server!.waitFor(/"msg":"worker died; restarting it"/)
    const newPid = await until(async () => {
      const pid = workerPids().get(victim)
      return pid !== undefined && pid !== oldPid ? pid : undefined
    }, 30_000, `${victim} restarted`)
    assert.ok(!alive(oldPid))
    assert.ok(alive(newPid))
    const restarted = logLines(server!.output, 'worker started').at(-1)!
    assert.deepEqual([restarted['workerNode'], restarted['restarted']], [victim, true])
    await until(async () => {
      const c = await connected()
      return c !== undefined && c.has(victim) && total(c) === DEVICES
    }, 60_000, `all ${DEVICES} agents connected again`)
    // Shared presence follows: the agents' new sessions are recorded by the
    // workers that hold them now, so the API shows every device online.
    await until(async () => {
      const list = JSON.parse(await ok(['--json', 'devices', 'list'], org.home('carol'))).devices as { online: boolean }[]
      return list.length === DEVICES && list.every((d) => d.online)
    }, 30_000, `all ${DEVICES} devices online in the devices list`)
    assertEveryDevice(await runCommand('after-kill'), 'after-kill')
  })

  it('stops the primary and every worker on SIGTERM, with exit status 0', async () => {
    await Promise.all([sim?.stop(), agent?.stop()])
    const pids = [...workerPids().values()]
    const exited = new Promise<[number | null, string | null]>((r) => server!.child.once('exit', (code, signal) => r([code, signal])))
    server!.child.kill('SIGTERM')
    assert.deepEqual(await exited, [0, null], server!.output.slice(-3000))
    for (const pid of pids) assert.ok(!alive(pid), `worker ${pid} exited`)
    assert.equal(logLines(server!.output, 'worker stopped').length, 2)
    assert.match(server!.output, /palisade server stopped/)
    assert.ok(!server!.output.includes(secretKey) && !server!.output.includes(dbPassword), 'no log line (primary or worker) carries a secret')
  })
})
