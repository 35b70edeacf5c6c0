/**
 * Shared presence does not depend on the nodes' clocks or on every node
 * using the same TTL (db-clock.ts, online-expression.ts), on a real
 * database of this run's dialect (presence.test.helper.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { age, clockAt, heartbeatOf, onlineThrough, sessions, TIMING, world } from './presence.test.helper.js'

describe('NodePresence on the database\'s clock, each node with its own TTL', { concurrency: true }, () => {
  it('keeps a node with a clock 10 minutes slow online everywhere, uncollected, and its newer connections winning (M3)', async (t) => {
    const { db, node } = await world(t)
    const slow = node('node-a', clockAt(-10 * 60_000))
    const b = node('node-b', clockAt()) // right, like the database's (this machine's)
    await b.presence.connected('d1', 'acme')
    // The slow node measures the database's clock at its heartbeat, to within
    // half of that write's round trip: less than the time since d1's stamp.
    await slow.presence.tick()
    await slow.presence.connected('d2', 'acme')
    // d1 moves from B to the slow node: its connection there is the newer one, whatever that node's clock says.
    await slow.presence.connected('d1', 'acme')
    b.presence.disconnected('d1')
    await b.settled()
    assert.deepEqual(await sessions(db), { d1: 'node-a', d2: 'node-a' })
    for (const reader of [b, slow]) assert.deepEqual(await onlineThrough(db, reader.presence), ['d1', 'd2'])
    // Other nodes' heartbeats neither find it stale nor collect it; its own repair finds nothing to redo.
    await Promise.all([b.presence.tick(), slow.presence.tick()])
    await b.presence.tick()
    assert.deepEqual(await sessions(db), { d1: 'node-a', d2: 'node-a' })
    assert.deepEqual(b.local, [])
    assert.deepEqual([...b.warnings, ...slow.warnings, ...slow.infos], [])
  })

  it('judges each node\'s heartbeat by that node\'s own TTL (M3)', async (t) => {
    const { db, node } = await world(t)
    const long = node('node-a', clockAt(), { ttlMs: 600_000 }) // beats every 200 s
    const short = node('node-b', clockAt())
    await Promise.all([long.presence.tick(), short.presence.tick()])
    await long.presence.connected('d1', 'acme')
    await age(db, 'node-a', 60_000) // a minute since node A's last heartbeat: twice node B's TTL, but well within A's
    assert.deepEqual(await onlineThrough(db, short.presence), ['d1'])
    await short.presence.tick()
    assert.deepEqual(short.local, [], 'node B saw no change')
    await age(db, 'node-a', 600_000 - 60_000 + 5000) // past A's TTL
    assert.deepEqual(await onlineThrough(db, short.presence), [])
    await short.presence.tick()
    assert.deepEqual(short.local, [{ org: 'acme', event: { kind: 'device' } }])
    assert.deepEqual(await sessions(db), { d1: 'node-a' }, 'collected only after ten of A\'s TTLs, not of B\'s')
    assert.ok(TIMING.gcAfterMs < 600_000)
  })

  it('never moves a heartbeat back: session writes leave it, and a heartbeat keeps a later one (L1)', async (t) => {
    const { db, node } = await world(t)
    const a = node('node-a', clockAt())
    await a.presence.tick()
    // As if a later heartbeat had landed first (in the database's time).
    await db.updateTable('server_nodes').set((eb) => ({ heartbeat_at: eb('heartbeat_at', '+', 3_600_000) })).where('node_id', '=', 'node-a').execute()
    const later = await heartbeatOf(db, 'node-a')
    await Promise.all([a.presence.connected('d1', 'acme'), a.presence.connected('d2', 'acme')])
    assert.equal(await heartbeatOf(db, 'node-a'), later, 'session writes do not touch an existing heartbeat')
    await a.presence.tick()
    assert.equal(await heartbeatOf(db, 'node-a'), later, 'an earlier heartbeat does not replace a later one')
  })

  it('writes heartbeats on the database\'s clock and its own TTL, whatever the node\'s clock says', async (t) => {
    const { db, node } = await world(t)
    const a = node('node-a', clockAt(-86_400_000))
    const before = Date.now()
    await a.presence.tick()
    const row = await db.selectFrom('server_nodes').select(['heartbeat_at', 'ttl_ms']).where('node_id', '=', 'node-a').executeTakeFirstOrThrow()
    // The test and the database share this machine's clock (PostgreSQL on loopback).
    assert.ok(Math.abs(row.heartbeat_at - before) < 60_000, `heartbeat ${row.heartbeat_at} vs now ${before}`)
    assert.equal(row.ttl_ms, TIMING.ttlMs)
    // Connections are stamped on the database's clock too, once a heartbeat measured the offset.
    await a.presence.connected('d1', 'acme')
    const s = await db.selectFrom('agent_sessions').select('connected_at').where('device_id', '=', 'd1').executeTakeFirstOrThrow()
    assert.ok(Math.abs(s.connected_at - before) < 60_000, `connected_at ${s.connected_at} vs now ${before}`)
  })
})
