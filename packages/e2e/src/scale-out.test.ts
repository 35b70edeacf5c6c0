/**
 * Scale-out, end to end, with real processes on loopback: two server nodes
 * (`palisade server --database-url postgres://… --bus nats://…`) on one
 * fresh PostgreSQL database and the NATS at 127.0.0.1:4222, a witness, an
 * org set up through the CLI, and one agent enrolled with both nodes' URLs
 * and connected to node A.
 *
 * It checks issue #7's promises: a command approved through node B runs on
 * the agent via node A (fan-out over the bus); commands approved through
 * both nodes at the same moment are logged with dense indexes, one entry
 * each, and the log audit passes; node A killed with SIGKILL → the agent
 * moves to node B and a command approved there runs; nothing is missed
 * and nothing runs twice. Both nodes serve /healthz and /metrics.
 *
 * Presence is shared: the device connected to node A is online when
 * listed through node B; once node A is killed (with the agent frozen, so
 * that it cannot move yet) node B lists it offline within the presence
 * TTL (shortened here with PALISADE_PRESENCE_TTL_MS) and tells its event
 * streams, and online again once the agent reconnects to B.
 *
 * Needs PostgreSQL (PALISADE_TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres) and NATS
 * (PALISADE_TEST_NATS_URL, default nats://127.0.0.1:4222); skipped with
 * the reason when either does not answer.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './free-port.js'
import { ADMIN_URL, adminQuery, NATS_URL, pgNatsSkipReason } from './pg-nats.js'
import { setupOrg, PASSPHRASE, type Admin } from './org-setup.js'
import { ok, palisade, Proc, until } from './proc.js'

/** Presence heartbeat freshness of both nodes: they beat every third of it. */
const PRESENCE_TTL_MS = 6000

const SKIP = await pgNatsSkipReason()

/** An open GET /v1/orgs/acme/events stream: everything received so far, as text. */
async function orgEvents(url: string, apiKey: string): Promise<{ text(): string; close(): void }> {
  const abort = new AbortController()
  const res = await fetch(`${url}/v1/orgs/acme/events`, { headers: { authorization: `Bearer ${apiKey}` }, signal: abort.signal })
  assert.equal(res.status, 200)
  let text = ''
  const reader = res.body!.getReader()
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      text += Buffer.from(value).toString('utf8')
    }
  })().catch(() => {}) // aborted
  await until(async () => text.includes(': connected'), 10_000, 'the event stream to open')
  return { text: () => text, close: () => abort.abort() }
}

describe('two server nodes on PostgreSQL and NATS', { timeout: 300_000, skip: SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-scale-'))
  const sentinels = join(dir, 'sentinels')
  const dbName = `palisade_scale_${process.pid}_${randomBytes(4).toString('hex')}`
  const dbUrl = (() => {
    const u = new URL(ADMIN_URL)
    u.pathname = `/${dbName}`
    return u.href
  })()
  const secretKey = randomBytes(32).toString('base64')
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  // The CLI never sends an API key to a server other than the one it logged in to: each admin
  // gets a copy of their home (same signing key) logged in to node A.
  const homeAt = (who: Admin, node: 'a' | 'b'): Record<string, string> => (node === 'b' ? home(who) : { ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}-a`) })
  const nodes: Record<'a' | 'b', { proc: Proc; url: string; metrics: string }> = {} as never
  let witness: Proc | undefined
  let agent: Proc | undefined
  let deviceId = ''
  let apiKey = ''
  const commandIds: string[] = []

  const startNode = async (name: 'a' | 'b'): Promise<string> => {
    const port = await freePort()
    const proc = new Proc(
      ['server', '--listen', `127.0.0.1:${port}`, '--database-url', dbUrl, '--bus', NATS_URL, '--node-id', `node-${name}`, '--metrics-listen', '127.0.0.1:0', '--data', join(dir, `data-${name}`)],
      { PALISADE_SECRET_KEY: secretKey, PALISADE_LOG_LEVEL: 'info', PALISADE_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) },
      `node-${name}`,
    )
    const code = (await proc.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    const metrics = (await proc.waitFor(/metrics: (http:\/\/\S+\/metrics)/))[1]!
    await proc.waitFor(/"msg":"bus connected"/)
    nodes[name] = { proc, url: `http://127.0.0.1:${port}`, metrics }
    return code
  }
  const ran = (): string[] => readdirSync(sentinels)
  const sign = (id: string, who: Admin, node: 'a' | 'b'): Promise<string> => ok(['command', 'sign', id, '--key', who, '--yes'], homeAt(who, node))
  const create = async (tag: string, node: 'a' | 'b'): Promise<string> => {
    const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', `touch ${sentinels}/${tag}.$$; echo ran ${tag}`], homeAt('alice', node)))
    commandIds.push(c.id)
    return c.id as string
  }
  const waitDone = async (id: string, node: 'a' | 'b'): Promise<any> =>
    JSON.parse(await ok(['--json', 'command', 'status', id, '--wait', '--timeout', '60s'], homeAt('carol', node)))
  /** Whether the device is online in the devices list served by `node`. */
  const onlineThrough = async (node: 'a' | 'b'): Promise<boolean> => {
    const d = JSON.parse(await ok(['--json', 'devices', 'list'], homeAt('carol', node))).devices as { id: string; online: boolean }[]
    return d.some((x) => x.id === deviceId && x.online)
  }
  /** The node named by the device's presence row, straight from the database. */
  const sessionNode = async (): Promise<string | undefined> => {
    const client = new pg.Client({ connectionString: dbUrl })
    await client.connect()
    try {
      return (await client.query<{ node_id: string }>('select node_id from agent_sessions where device_id = $1', [deviceId])).rows[0]?.node_id
    } finally {
      await client.end()
    }
  }

  before(async () => {
    mkdirSync(sentinels)
    await adminQuery(`create database ${dbName}`)
  })
  after(async () => {
    if (process.env['PALISADE_E2E_DEBUG'] === '1') for (const n of Object.values(nodes)) console.error(n.proc.output)
    await Promise.all([agent?.stop(), nodes.a?.proc.stop(), nodes.b?.proc.stop(), witness?.stop()])
    await adminQuery(`drop database if exists ${dbName} with (force)`).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  it('starts two nodes on one database and bus, and sets up an org through node B', async () => {
    await startNode('a')
    // The setup code of the node started last is the one that works (one per database).
    const code = await startNode('b')
    const org = await setupOrg(dir, nodes.b.url, code)
    witness = org.witness
    apiKey = org.apiKey
    for (const who of ['alice', 'bob', 'carol'] as const) {
      cpSync(join(dir, `home-${who}`), join(dir, `home-${who}-a`), { recursive: true })
      await ok(['login', '--server', nodes.a.url, '--org', 'acme', '--api-key', org.apiKey, '--fingerprint', org.fingerprint], homeAt(who, 'a'))
    }
    for (const n of ['a', 'b'] as const) {
      const health = await fetch(`${nodes[n].url}/healthz`)
      assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', checks: { database: 'ok', bus: 'ok' } }])
    }
    // /metrics lives only on the metrics listener, never on the API.
    assert.equal((await fetch(`${nodes.a.url}/metrics`)).status, 404)
  })

  it('enrolls an agent with both nodes, connected to node A', async () => {
    const t = JSON.parse(await ok(['--json', 'token', 'create'], homeAt('alice', 'a')))
    const args = (t.installCommand as string).split(' ').slice(1)
    const out = JSON.parse(await ok(['--json', ...args, '--fallback-server', nodes.b.url, '--state-dir', join(dir, 'agent')]))
    assert.deepEqual(out.servers, [nodes.a.url, nodes.b.url])
    deviceId = out.deviceId
    agent = new Proc(['agent', 'run', '--state-dir', join(dir, 'agent')], {}, 'agent')
    await until(() => onlineThrough('a'), 30_000, 'the agent online on node A')
    // Presence is shared: node B, which holds no connection, lists it online too.
    assert.equal(await onlineThrough('b'), true)
    assert.equal(await sessionNode(), 'node-a')
  })

  it('runs a command created and approved through node B on the agent connected to node A', async () => {
    const id = await create('first', 'b')
    await sign(id, 'alice', 'b')
    await sign(id, 'bob', 'b')
    const done = await waitDone(id, 'b')
    assert.equal(done.status, 'done')
    assert.equal(done.results.length, 1)
    assert.equal(done.results[0].stdout, 'ran first\n')
    assert.equal(ran().filter((f) => f.startsWith('first.')).length, 1)
    assert.match(nodes.a.proc.output, /"msg":"agent connected"/)
    assert.doesNotMatch(nodes.b.proc.output, /"msg":"agent connected"/, 'the agent never touched node B')
  })

  it('logs commands approved through both nodes at the same moment: dense indexes, one entry each, audit passes', async () => {
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const id = await create(`par${i}`, i % 2 === 0 ? 'a' : 'b')
      await sign(id, 'alice', 'a')
      ids.push(id)
    }
    // The threshold-reaching signatures, all at once, half through each node.
    await Promise.all(ids.map((id, i) => sign(id, 'bob', i % 2 === 0 ? 'a' : 'b')))
    for (const id of ids) assert.equal((await waitDone(id, 'b')).status, 'done')

    const client = new pg.Client({ connectionString: dbUrl })
    await client.connect()
    try {
      const entries = await client.query<{ idx: string; kind: string; ref_id: string }>('select idx, kind, ref_id from log_entries order by idx')
      assert.deepEqual(entries.rows.map((r) => Number(r.idx)), entries.rows.map((_, i) => i), 'dense indexes')
      const commands = entries.rows.filter((r) => r.kind === 'command').map((r) => r.ref_id)
      assert.equal(commands.length, commandIds.length, 'one entry per command')
      assert.deepEqual([...commands].sort(), [...commandIds].sort())
      const sizes = await client.query<{ size: string }>('select size from checkpoints order by size')
      assert.equal(new Set(sizes.rows.map((r) => r.size)).size, sizes.rows.length, 'one checkpoint per size')
    } finally {
      await client.end()
    }
    // The audit verifies every checkpoint, consistency proof, entry and signature without trusting the server.
    for (const node of ['a', 'b'] as const) {
      const audit = await palisade(['log', 'audit'], homeAt('carol', node))
      assert.equal(audit.code, 0, audit.stdout + audit.stderr)
    }
  })

  it('after node A is killed, the agent reconnects to node B and runs the next command: nothing missed, nothing twice', async () => {
    const before = ran().length
    assert.equal(before, commandIds.length)
    const stream = await orgEvents(nodes.b.url, apiKey)
    // Frozen, the agent cannot move to node B yet: what B lists is node A's presence alone.
    agent!.child.kill('SIGSTOP')
    try {
      nodes.a.proc.child.kill('SIGKILL')
      await new Promise((r) => nodes.a.proc.child.once('exit', r))
      const killedAt = Date.now()
      // No one cleans up after a SIGKILL: the device goes offline when A's last heartbeat (at most a third of the TTL before the kill) is stale.
      // Within the TTL, give or take the polling (each look is a CLI run) on a busy machine.
      await until(async () => !(await onlineThrough('b')), PRESENCE_TTL_MS + 15_000, 'the device offline through node B')
      const took = Date.now() - killedAt
      assert.ok(took >= PRESENCE_TTL_MS - PRESENCE_TTL_MS / 3 - 250, `offline ${took} ms after the kill: not before A's heartbeat went stale`)
      assert.equal(await sessionNode(), 'node-a', 'the row of the dead node is still there; its staleness makes the device offline')
      // Node B noticed A go stale and told its streams to reload the devices (no device id: the whole list).
      await until(async () => /event: device\ndata: \{\}\n/.test(stream.text()), 15_000, 'a device event on node B\'s stream')
    } finally {
      agent!.child.kill('SIGCONT')
      stream.close()
    }
    await until(() => onlineThrough('b'), 30_000, 'the agent online on node B')
    assert.equal(await sessionNode(), 'node-b')
    const id = await create('after-kill', 'b')
    await sign(id, 'alice', 'b')
    await sign(id, 'bob', 'b')
    const done = await waitDone(id, 'b')
    assert.equal(done.status, 'done')
    assert.equal(done.results[0].stdout, 'ran after-kill\n')
    // One run per command, however the agent moved between nodes.
    assert.equal(ran().length, commandIds.length)
    for (const c of ['first', 'after-kill', ...Array.from({ length: 6 }, (_, i) => `par${i}`)]) {
      assert.equal(ran().filter((f) => f.startsWith(`${c}.`)).length, 1, `${c} ran once`)
    }
  })

  it('serves Prometheus metrics on node B: connected agents, deliveries, results, log size, latency histograms', async () => {
    const text = await (await fetch(nodes.b.metrics)).text()
    const value = (re: RegExp): number => Number(text.match(re)?.[1] ?? NaN)
    assert.equal(value(/^palisade_agents_connected\{node="node-b"\} (\d+)/m), 1)
    assert.ok(value(/^palisade_deliveries_sent_total\{node="node-b"\} (\d+)/m) >= 1)
    assert.ok(value(/^palisade_results_received_total\{node="node-b"\} (\d+)/m) >= 1)
    assert.ok(value(/^palisade_log_size\{[^}]*org="acme"[^}]*\} (\d+)/m) >= commandIds.length)
    assert.match(text, /^palisade_checkpoint_publish_seconds_count\{node="node-b"\} [1-9]/m)
    assert.match(text, /^palisade_witness_request_seconds_count\{[^}]*witness="127\.0\.0\.1:\d+"[^}]*\} [1-9]/m)
    assert.match(text, /^palisade_http_request_seconds_count\{[^}]*route="\/v1\/orgs\/:org\/commands\/:id\/signatures"[^}]*status_class="2xx"[^}]*\} [1-9]/m)
    assert.match(text, /^palisade_process_cpu_seconds_total/m)
  })
})
