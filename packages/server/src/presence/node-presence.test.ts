/**
 * Shared presence on a real database (a SQLite file, or a fresh PostgreSQL
 * database under PALISADE_TEST_DATABASE=postgres): several NodePresence
 * instances on one database stand for several server nodes
 * (presence.test.helper.ts). Time moves by aging rows and moving the
 * nodes' own clocks, never by sleeping for TTLs.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { age, clockAt, failWhen, onlineThrough, sessions, TIMING, trigger, world } from './presence.test.helper.js'

describe('NodePresence: device presence shared by server nodes', { concurrency: true }, () => {
  it('records a session when a device connects, seen online through every node, and removes it when it disconnects', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const [a, b] = [node('node-a', clock), node('node-b', clock)]
    await Promise.all([a.presence.tick(), b.presence.tick()])
    await a.presence.connected('d1', 'acme')
    // Committed when connected() resolves: the gateway welcomes the agent only then.
    assert.deepEqual(await sessions(db), { d1: 'node-a' })
    assert.deepEqual(await onlineThrough(db, b.presence), ['d1'])
    assert.deepEqual(await onlineThrough(db, a.presence), ['d1'])

    a.presence.disconnected('d1')
    await a.settled()
    assert.deepEqual(await sessions(db), {})
    assert.deepEqual(await onlineThrough(db, b.presence), [])
    // Announced to every node's streams, once the row is gone.
    assert.deepEqual(a.emitted, [{ org: 'acme', event: { kind: 'device', id: 'd1' } }])
  })

  it('lets a newer connection on another node replace the session; the old node\'s disconnect leaves it alone', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const [a, b] = [node('node-a', clock), node('node-b', clock)]
    await a.presence.connected('d1', 'acme')
    clock.skew += 1000
    await b.presence.connected('d1', 'acme')
    assert.deepEqual(await sessions(db), { d1: 'node-b' })
    // Node A notices its old connection is gone only now.
    a.presence.disconnected('d1')
    await a.settled()
    assert.deepEqual(await sessions(db), { d1: 'node-b' })
    assert.deepEqual(await onlineThrough(db, a.presence), ['d1'])
  })

  it('keeps the newer connection\'s session when an older connection\'s write arrives late', async (t) => {
    const { db, node } = await world(t)
    const a = node('node-a', clockAt(-5000))
    const b = node('node-b', clockAt())
    await b.presence.connected('d1', 'acme')
    await a.presence.connected('d1', 'acme') // stamped 5 s earlier: the device connected to A before it moved to B
    assert.deepEqual(await sessions(db), { d1: 'node-b' })
    a.presence.disconnected('d1')
    await a.settled()
    assert.deepEqual(await sessions(db), { d1: 'node-b' })
  })

  it('leaves nothing behind for a connection that came and went within one flush, and keeps a reconnection made in it', async (t) => {
    const { db, node } = await world(t)
    const a = node('node-a', clockAt())
    // Same millisecond, same flush: the per-connection ids still differ.
    void a.presence.connected('d1', 'acme')
    a.presence.disconnected('d1')
    void a.presence.connected('d2', 'acme')
    a.presence.disconnected('d2')
    void a.presence.connected('d2', 'acme')
    await a.settled()
    assert.deepEqual(await sessions(db), { d2: 'node-a' })
    assert.deepEqual(await onlineThrough(db, a.presence), ['d2'])
  })

  it('replaces its own session even when its clock stepped back since the older connection (L2)', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const a = node('node-a', clock)
    await a.presence.tick()
    await a.presence.connected('d1', 'acme')
    clock.skew -= 3_600_000 // NTP steps this node's clock back an hour, before its next heartbeat measures it
    await a.presence.connected('d1', 'acme') // the device reconnects: the older connection is replaced (no disconnect for it)
    a.presence.disconnected('d1') // then the newer one ends
    await a.settled()
    assert.deepEqual(await sessions(db), {}, 'the newer connection\'s row replaced the older one, and its removal left nothing')
    assert.deepEqual(await onlineThrough(db, a.presence), [])
  })

  it('reads a device offline once its node\'s heartbeat is stale, and tells the other nodes\' streams both ways', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const [a, b] = [node('node-a', clock), node('node-b', clock)]
    await Promise.all([a.presence.tick(), b.presence.tick()])
    await a.presence.connected('d1', 'acme')
    await a.presence.connected('b1', 'beta')
    await age(db, 'node-a', TIMING.ttlMs - 5000) // node A silent for most of its TTL: still fresh
    assert.deepEqual(await onlineThrough(db, b.presence), ['b1', 'd1'])
    await b.presence.tick()
    assert.equal(b.local.length, 0)

    await age(db, 'node-a', 6000) // past the TTL: stale
    assert.deepEqual(await onlineThrough(db, b.presence), [])
    await b.presence.tick()
    assert.deepEqual(b.local.map((e) => [e.org, e.event]).sort(), [['acme', { kind: 'device' }], ['beta', { kind: 'device' }]])
    assert.deepEqual(await sessions(db), { b1: 'node-a', d1: 'node-a' }, 'nobody needs to clean up for the devices to read offline')

    // Node A was only paused: its next heartbeat brings its devices back, and B's streams hear of it.
    await a.presence.tick()
    assert.deepEqual(await onlineThrough(db, b.presence), ['b1', 'd1'])
    await b.presence.tick()
    assert.equal(b.local.length, 4)
  })

  it('collects a node silent for the collection age in bounded steps, then its row, sparing live nodes', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const a = node('node-a', clock)
    const b = node('node-b', clock, { gcBudget: 2 })
    await a.presence.tick()
    for (const d of ['d1', 'd2', 'd3']) void a.presence.connected(d, 'acme')
    await b.presence.connected('d4', 'acme')
    await a.settled()
    // Node A crashes (no close). Before the collection age, nothing is collected.
    await age(db, 'node-a', TIMING.gcAfterMs - 5000)
    await b.presence.tick()
    assert.equal(Object.keys(await sessions(db)).length, 4)
    await age(db, 'node-a', 6000)
    await b.presence.tick()
    assert.deepEqual(Object.values(await sessions(db)).sort(), ['node-a', 'node-b'], 'two rows per heartbeat')
    assert.ok(await db.selectFrom('server_nodes').select('node_id').where('node_id', '=', 'node-a').executeTakeFirst())
    await b.presence.tick()
    assert.deepEqual(await sessions(db), { d4: 'node-b' })
    const nodes = await db.selectFrom('server_nodes').select('node_id').execute()
    assert.deepEqual(nodes.map((n) => n.node_id), ['node-b'])
  })

  it('reports a failed collection on its own and still repairs in that heartbeat (L3)', async (t) => {
    const { db, node } = await world(t)
    const a = node('node-a', clockAt())
    await db.insertInto('server_nodes').values({ node_id: 'node-dead', instance: 'x', heartbeat_at: 1, ttl_ms: 30_000 }).execute()
    await db.insertInto('agent_sessions').values({ device_id: 'd5', node_id: 'node-dead', connection_id: 'x.1', connected_at: 1 }).execute()
    await trigger(db, 'gc_fails', 'before delete', 'agent_sessions', failWhen(`old.node_id = 'node-dead'`, 'collection refused'))
    await a.presence.connected('d1', 'acme')
    await db.deleteFrom('agent_sessions').where('device_id', '=', 'd1').execute() // a write lost: the first heartbeat's repair restores it
    await a.presence.tick()
    assert.deepEqual(a.warnings, ['could not collect dead nodes\' presence; trying again at the next heartbeat'])
    assert.deepEqual(await sessions(db), { d1: 'node-a', d5: 'node-dead' })
    assert.deepEqual(a.infos, ['presence repaired'])
  })

  it('deletes its sessions and its row on close, and tells the streams of the orgs it served', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const [a, b] = [node('node-a', clock), node('node-b', clock)]
    await Promise.all([a.presence.tick(), b.presence.tick()])
    await Promise.all([a.presence.connected('d1', 'acme'), a.presence.connected('d2', 'acme'), b.presence.connected('d3', 'acme')])
    await a.presence.close()
    assert.deepEqual(await sessions(db), { d3: 'node-b' })
    assert.deepEqual((await db.selectFrom('server_nodes').select('node_id').execute()).map((n) => n.node_id), ['node-b'])
    assert.deepEqual(a.emitted, [{ org: 'acme', event: { kind: 'device' } }])
    // After close it records nothing.
    await a.presence.connected('d4', 'acme')
    assert.equal(a.presence.size, 0)
    assert.deepEqual(await sessions(db), { d3: 'node-b' })
  })

  it('repairs its rows: re-records a lost one and deletes one it does not hold', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const a = node('node-a', clock)
    await a.presence.tick()
    await Promise.all([a.presence.connected('d1', 'acme'), a.presence.connected('d2', 'acme')])
    await db.deleteFrom('agent_sessions').where('device_id', '=', 'd1').execute()
    await db.insertInto('agent_sessions').values({ device_id: 'd3', node_id: 'node-a', connection_id: 'gone.1', connected_at: 5 }).execute()
    await a.presence.tick() // not due yet
    assert.deepEqual(await sessions(db), { d2: 'node-a', d3: 'node-a' })
    clock.skew += TIMING.repairEveryMs
    await a.presence.tick()
    assert.deepEqual(await sessions(db), { d1: 'node-a', d2: 'node-a' })
    assert.deepEqual(a.infos, ['presence repaired'])
  })

  it('drops the sessions an earlier run under the same node id left before its first heartbeat, which never revives them (L4)', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const crashed = node('node-a', clock)
    await crashed.presence.tick()
    await crashed.presence.connected('d1', 'acme')
    // Every heartbeat written from now on notes how many sessions of an
    // earlier process of its node id it found fresh again by it.
    await db.schema.createTable('beat_probe').addColumn('stale', 'integer', (c) => c.notNull()).execute()
    const probe = `insert into beat_probe select count(*) from agent_sessions s where s.node_id = new.node_id and s.connection_id not like new.instance || '.%'`
    await trigger(db, 'beat_probe', 'after insert or update', 'server_nodes', probe)
    // Restarted at once with the same id (a worker after a crash): d1 is not connected to it.
    const restarted = node('node-a', clock)
    await restarted.presence.tick()
    const beats = await sql<{ stale: number }>`select stale from beat_probe`.execute(db)
    assert.deepEqual(beats.rows, [{ stale: 0 }], 'its one heartbeat found no earlier session to make fresh')
    assert.deepEqual(await sessions(db), {})
    assert.deepEqual(await onlineThrough(db, restarted.presence), [])
    assert.deepEqual(restarted.infos, ['dropped the sessions an earlier process under this node id left'])
  })

  it('keeps working when two processes share a node id, and warns', async (t) => {
    const { db, node } = await world(t)
    const clock = clockAt()
    const [one, two] = [node('node-x', clock), node('node-x', clock)]
    await one.presence.tick()
    await two.presence.tick()
    clock.skew += 1
    await one.presence.tick()
    assert.deepEqual(one.warnings, ['another server process uses this node id; give each node its own --node-id'])
    await one.presence.connected('d1', 'acme')
    clock.skew += 1
    // The device moved from one process to the other.
    await Promise.all([two.presence.connected('d1', 'acme'), two.presence.connected('d2', 'acme')])
    one.presence.disconnected('d1')
    await one.settled()
    assert.deepEqual(await sessions(db), { d1: 'node-x', d2: 'node-x' })
    assert.deepEqual(await onlineThrough(db, one.presence), ['d1', 'd2'])
  })
})
