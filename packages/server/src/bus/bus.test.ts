/**
 * The bus between nodes: the in-process bus, the NATS bus against the real
 * NATS server at 127.0.0.1:4222 (PALISADE_TEST_NATS_URL), the message
 * formats under malformed input, and the bus settings of the config.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { connect } from 'nats'
import { loadConfig } from '../config.js'
import { ServerError } from '../errors.js'
import { SUBJECTS, type Bus } from './bus.js'
import { formatCheckpoint, formatDeliveries, formatEvent, parseCheckpoint, parseDeliveries, parseEvent } from './bus-messages.js'
import { LocalBus } from './local-bus.js'
import { NatsBus } from './nats-bus.js'

const NATS_URL = process.env['PALISADE_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222'
/** A deployment of this test run's own: other tests on the same NATS never reach it. */
const DEPLOYMENT = `test-${randomBytes(4).toString('hex')}`

/** Resolves with the next message on `subject`. */
function next(bus: Bus, subject: (typeof SUBJECTS)[keyof typeof SUBJECTS]): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const off = bus.subscribe(subject, (data) => {
      off()
      resolve(data)
    })
  })
}

/** A port with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

describe('LocalBus', () => {
  it('delivers to every subscriber of the subject, asynchronously, and not after unsubscribe or close', async () => {
    const bus = new LocalBus()
    const got: string[] = []
    const offA = bus.subscribe(SUBJECTS.events, (d) => got.push(`a:${new TextDecoder().decode(d)}`))
    bus.subscribe(SUBJECTS.events, (d) => got.push(`b:${new TextDecoder().decode(d)}`))
    bus.subscribe(SUBJECTS.deliveries, () => got.push('wrong subject'))
    const data = new TextEncoder().encode('x')
    bus.publish(SUBJECTS.events, data)
    data[0] = 0x79 // the publisher's later write is not seen
    assert.deepEqual(got, [], 'nothing runs inside publish')
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(got.sort(), ['a:x', 'b:x'])
    offA()
    bus.publish(SUBJECTS.events, new TextEncoder().encode('z'))
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(got.sort(), ['a:x', 'b:x', 'b:z'])
    assert.deepEqual(bus.health(), { ok: true })
    await bus.close()
    bus.publish(SUBJECTS.events, new TextEncoder().encode('late'))
    await new Promise((r) => setImmediate(r))
    assert.equal(got.length, 3)
    assert.equal(bus.health().ok, false)
  })

  it('keeps delivering to the others when a handler throws, and reports the throw', async () => {
    const errors: unknown[] = []
    const bus = new LocalBus({ onError: (e) => errors.push(e) })
    bus.subscribe(SUBJECTS.checkpoint, () => {
      throw new Error('boom')
    })
    const got = next(bus, SUBJECTS.checkpoint)
    bus.publish(SUBJECTS.checkpoint, new Uint8Array([1]))
    assert.deepEqual([...(await got)], [1])
    assert.equal(errors.length, 1)
  })
})

describe('NatsBus (real NATS)', () => {
  it('carries messages between two connections, never back to the sender, and drains on close', async () => {
    const a = new NatsBus({ url: NATS_URL, name: 'test-a', deployment: DEPLOYMENT })
    const b = new NatsBus({ url: NATS_URL, name: 'test-b', deployment: DEPLOYMENT })
    try {
      await Promise.all([a.ready(), b.ready()])
      assert.deepEqual(a.health(), { ok: true })
      const echoed: Uint8Array[] = []
      a.subscribe(SUBJECTS.deliveries, (d) => echoed.push(d))
      const atB = next(b, SUBJECTS.deliveries)
      // NATS applies a subscription once the server has it: a round trip through the other side confirms b's.
      const msg = formatDeliveries({ node: 'test-a', org: 'acme', command: 'acme/cmd-1' })
      let received: Uint8Array | undefined
      void atB.then((d) => (received = d))
      while (received === undefined) {
        a.publish(SUBJECTS.deliveries, msg)
        await Promise.race([atB, new Promise((r) => setTimeout(r, 50))])
      }
      assert.deepEqual(parseDeliveries(received), { node: 'test-a', org: 'acme', command: 'acme/cmd-1' })
      assert.equal(echoed.length, 0, 'noEcho: a node never hears itself')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
    assert.equal(a.health().ok, false)
    a.publish(SUBJECTS.deliveries, new Uint8Array([1])) // after close: dropped, no throw
  })

  it("keeps to its deployment's subjects: palisade.v1.<deployment>.<name>, unheard by another deployment on the same NATS", async () => {
    const other = `${DEPLOYMENT}-other`
    const a = new NatsBus({ url: NATS_URL, name: 'test-scope-a', deployment: DEPLOYMENT })
    const elsewhere = new NatsBus({ url: NATS_URL, name: 'test-scope-x', deployment: other })
    const raw = await connect({ servers: new URL(NATS_URL).host })
    try {
      await Promise.all([a.ready(), elsewhere.ready()])
      const heardElsewhere: Uint8Array[] = []
      elsewhere.subscribe(SUBJECTS.deliveries, (d) => heardElsewhere.push(d))
      // What an operator's NATS permissions name: every subject of one deployment.
      const wire: string[] = []
      const sub = raw.subscribe(`palisade.v1.${DEPLOYMENT}.>`, { callback: (err, m) => void (err === null && wire.push(m.subject)) })
      await raw.flush()
      // And the other deployment's subscription is in force once its own messages come through.
      const fromOther = new NatsBus({ url: NATS_URL, name: 'test-scope-y', deployment: other })
      try {
        await fromOther.ready()
        const probe = next(elsewhere, SUBJECTS.deliveries)
        let probed = false
        void probe.then(() => (probed = true))
        for (const t0 = Date.now(); !probed; ) {
          if (Date.now() - t0 > 10_000) throw new Error('NATS did not carry a probe within 10 s')
          fromOther.publish(SUBJECTS.deliveries, formatDeliveries({ node: 'y', org: 'probe', command: 'probe/c' }))
          await Promise.race([probe, new Promise((r) => setTimeout(r, 50))])
        }
      } finally {
        await fromOther.close()
      }
      a.publish(SUBJECTS.deliveries, formatDeliveries({ node: 'test-scope-a', org: 'acme', command: 'acme/cmd-1' }))
      for (let i = 0; i < 100 && wire.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, 200)) // time for a stray delivery to the other deployment to arrive
      assert.deepEqual(wire, [`palisade.v1.${DEPLOYMENT}.deliveries`])
      // Probes still in flight may land now: only this deployment's message counts.
      const strays = heardElsewhere.filter((d) => parseDeliveries(d)?.org === 'acme')
      assert.equal(strays.length, 0, 'another deployment heard this one')
      sub.unsubscribe()
    } finally {
      await Promise.all([a.close(), elsewhere.close(), raw.close()])
    }
  })

  it('refuses a deployment that is not one NATS subject token', () => {
    for (const bad of ['', 'a.b', 'a*', 'a>', 'a b', 'x'.repeat(65)]) {
      assert.throws(() => new NatsBus({ url: NATS_URL, name: 'test-bad', deployment: bad }), /deployment must be a NATS subject token/)
    }
  })

  it('starts without a reachable NATS, reports itself down, drops (does not queue) what is published, and closes', async () => {
    const port = await deadPort()
    const bus = new NatsBus({ url: `nats://127.0.0.1:${port}`, name: 'test-dead', deployment: DEPLOYMENT, retryMs: 100, connectTimeoutMs: 500 })
    const health = bus.health()
    assert.equal(health.ok, false)
    assert.match((health as { reason: string }).reason, new RegExp(`127\\.0\\.0\\.1:${port}`))
    bus.publish(SUBJECTS.events, new Uint8Array([1]))
    bus.publish(SUBJECTS.events, new Uint8Array([2]))
    assert.equal(bus.dropped, 2)
    await bus.close()
    await bus.ready() // resolves once closed, never hangs
  })
})

describe('bus messages', () => {
  it('round-trips each message kind', () => {
    assert.deepEqual(parseCheckpoint(formatCheckpoint({ node: 'n', org: 'acme', size: 12 })), { node: 'n', org: 'acme', size: 12 })
    assert.deepEqual(parseEvent(formatEvent({ node: 'n', org: 'acme', event: { kind: 'command', id: 'c1' } })), { node: 'n', org: 'acme', event: { kind: 'command', id: 'c1' } })
    assert.deepEqual(parseEvent(formatEvent({ node: 'n', org: 'acme', event: { kind: 'log' } })), { node: 'n', org: 'acme', event: { kind: 'log' } })
  })

  it('drops malformed, oversized, foreign-version or extended messages, and never throws on random bytes', () => {
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    const bad = [
      new Uint8Array([0xff, 0xfe]),
      enc([]),
      enc(null),
      enc({ v: 2, node: 'n', org: 'acme', command: 'acme/c' }),
      enc({ v: 1, node: 'n', org: 'acme', command: 'other/c' }),
      enc({ v: 1, node: 'n', org: 'acme', command: 'acme/c', extra: 1 }),
      enc({ v: 1, node: '', org: 'acme', command: 'acme/c' }),
      enc({ v: 1, node: 'n', org: 'acme', command: `acme/${'x'.repeat(2000)}` }),
    ]
    for (const b of bad) assert.equal(parseDeliveries(b), undefined)
    assert.equal(parseCheckpoint(enc({ v: 1, node: 'n', org: 'acme', size: 0 })), undefined)
    assert.equal(parseCheckpoint(enc({ v: 1, node: 'n', org: 'acme', size: 1.5 })), undefined)
    assert.equal(parseEvent(enc({ v: 1, node: 'n', org: 'acme', kind: 'secrets' })), undefined)
    for (let i = 0; i < 500; i++) {
      const bytes = new Uint8Array(Math.floor(Math.random() * 64)).map(() => Math.floor(Math.random() * 256))
      parseDeliveries(bytes)
      parseCheckpoint(bytes)
      parseEvent(bytes)
    }
  })
})

describe('bus settings', () => {
  const cwd = '/srv/palisade'
  const refusal = (fn: () => unknown): ServerError => {
    try {
      fn()
    } catch (e) {
      assert.ok(e instanceof ServerError)
      return e
    }
    assert.fail('expected a configuration error')
  }

  it('reads --bus, --node-id and --metrics-listen with PostgreSQL', () => {
    const c = loadConfig({ env: {}, argv: ['--database-url', 'postgres://db/p', '--bus', 'nats://127.0.0.1:4222', '--node-id', 'node-a', '--metrics-listen', '127.0.0.1:9464'], cwd })
    assert.equal(c.busUrl, 'nats://127.0.0.1:4222')
    assert.equal(c.nodeId, 'node-a')
    assert.deepEqual(c.metricsListen, { host: '127.0.0.1', port: 9464 })
    assert.equal(loadConfig({ env: { PALISADE_DATABASE_URL: 'postgres://db/p', PALISADE_BUS_URL: 'nats://a:4222,nats://b:4222' }, cwd }).busUrl, 'nats://a:4222,nats://b:4222')
  })

  it('refuses a bus with SQLite, naming the setting and why', () => {
    const e = refusal(() => loadConfig({ env: { PALISADE_BUS_URL: 'nats://127.0.0.1:4222' }, cwd }))
    assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_BUS_URL'])
    assert.match(e.message, /PostgreSQL.*SQLite/)
  })

  it('refuses bad bus URLs, node ids and metrics addresses', () => {
    const e = refusal(() =>
      loadConfig({ env: { PALISADE_DATABASE_URL: 'postgres://db/p' }, argv: ['--bus', 'http://x:1', '--node-id', 'a b', '--metrics-listen', 'nowhere'], cwd }),
    )
    assert.deepEqual(e.errors?.map((x) => x.path), ['--bus', '--node-id', '--metrics-listen'])
    const creds = refusal(() => loadConfig({ env: { PALISADE_DATABASE_URL: 'postgres://db/p', PALISADE_BUS_URL: 'nats://u:secretpw@x:1' }, cwd }))
    assert.ok(!creds.message.includes('secretpw'), 'the message must not echo credentials')
  })
})
