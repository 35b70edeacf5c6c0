import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  canonicalJsonBytes,
  dsse,
  initialTrustState,
  keyId,
  merkleTargets,
  parseCheckpointUpdate,
  parseDelivery,
  verifyCheckpointUpdate,
  REJECTION_PAYLOAD_TYPE,
  toBase64,
  verifyCommand,
  type TrustState,
} from '@palisade/protocol'
import { approve, createTestOrg, draftCommand, enrollDevice, testKey, type TestDevice, type TestOrg } from '../commands/org.test.helper.js'
import { signedRejection, signedResult, TestAgent } from './agent.test.helper.js'

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function listening(t: Parameters<typeof createTestOrg>[0]): Promise<TestOrg> {
  return createTestOrg(t, { listen: true })
}

/** The device's own trust state, as the agent builds it at enrollment. */
function trustState(o: TestOrg): TrustState {
  return initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds())
}

/** Log lines at level error or above. */
function errorLines(o: TestOrg): string[] {
  return o.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)
}

async function get(o: TestOrg, url: string): Promise<any> {
  const res = await o.app.inject({ method: 'GET', url, headers: o.auth })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('agent gateway: deliveries and results', { concurrency: true }, () => {
  it('pushes a logged command to a connected agent; it verifies from the agent\'s trust state; the result is stored and acked', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    assert.equal((await get(o, `/v1/orgs/${o.org}/devices/${device.id}`)).online, true)

    const cmd = await draftCommand(o)
    await approve(o, cmd)
    const msg = await agent.next('delivery')
    assert.equal(msg['commandId'], cmd.id)
    const delivery = parseDelivery(msg['delivery'])
    const verdict = verifyCommand(trustState(o), delivery, { id: device.id }, nowSeconds())
    assert.ok(verdict.ok, JSON.stringify(verdict))
    assert.equal(verdict.command.id, cmd.id)
    // The gateway records the send after the frame is out and does not wait for it (agent-connection.ts
    // #markSent): on PostgreSQL that commit can land just after the agent has the delivery.
    await waitFor('the command to show delivering', async () => ((await get(o, `/v1/orgs/${o.org}/commands/${cmd.id}`)).status === 'delivering' ? true : undefined))

    const envelope = await signedResult(device.key, { org: o.org, commandId: cmd.id, deviceId: device.id, exitCode: 3, stdout: 'out' })
    agent.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: verdict.checkpoint.size } })
    assert.deepEqual(await agent.next('ack'), { type: 'ack', commandId: cmd.id })

    const shown = await get(o, `/v1/orgs/${o.org}/commands/${cmd.id}`)
    assert.equal(shown.status, 'done')
    assert.deepEqual(shown.deliveries, [{ deviceId: device.id, status: 'completed' }])
    assert.equal(shown.results.length, 1)
    assert.deepEqual([shown.results[0].deviceId, shown.results[0].exitCode, shown.results[0].stdout], [device.id, 3, 'out'])
    const stored = await o.db.selectFrom('devices').select(['checkpoint_size', 'agent_version', 'last_seen_at']).where('id', '=', device.id).executeTakeFirstOrThrow()
    assert.deepEqual([stored.checkpoint_size, stored.agent_version], [verdict.checkpoint.size, 'test/1'])
    assert.equal((await get(o, `/v1/orgs/${o.org}/commands`)).commands[0].done, 1)

    // The same result again (a spool re-sent after a lost ack): acked again, stored once.
    agent.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: verdict.checkpoint.size } })
    assert.deepEqual(await agent.next('ack'), { type: 'ack', commandId: cmd.id })
    assert.equal((await o.db.selectFrom('results').selectAll().execute()).length, 1)
    assert.deepEqual(errorLines(o), [])
    assert.ok(!o.lines.join('\n').includes(envelope.slice(20, 60)), 'frames are not logged')
  })

  it('gives an offline device its deliveries, in log order, when it connects', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const first = await draftCommand(o)
    const second = await draftCommand(o)
    await approve(o, second)
    await approve(o, first)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const a = await agent.next('delivery')
    const b = await agent.next('delivery')
    assert.deepEqual([a['commandId'], b['commandId']], [second.id, first.id])
    let state = trustState(o)
    for (const m of [a, b]) {
      const v = verifyCommand(state, parseDelivery(m['delivery']), { id: device.id }, nowSeconds())
      assert.ok(v.ok, JSON.stringify(v))
      state = v.nextState
    }
  })

  it('holds back a delivery under a newer checkpoint until the agent answers, then proves consistency from its reported state (in the checkpoint frame ahead of it)', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const one = await draftCommand(o)
    await approve(o, one)
    const d1 = await agent.next('delivery')
    const v1 = verifyCommand(trustState(o), parseDelivery(d1['delivery']), { id: device.id }, nowSeconds())
    assert.ok(v1.ok)
    agent.takeCheckpoints() // those before d1: v1 already covers them

    const two = await draftCommand(o)
    await approve(o, two)
    assert.ok(await agent.quiet(300), 'no delivery while the first is unanswered')
    const envelope = await signedResult(device.key, { org: o.org, commandId: one.id, deviceId: device.id })
    agent.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: v1.checkpoint.size } })
    await agent.next('ack')
    // The newer checkpoint comes on its own first, proven from the reported size; the delivery follows under it.
    const { type: _type, ...update } = await agent.next('checkpoint')
    assert.ok((update['consistency'] as string[]).length > 0)
    const c2 = verifyCheckpointUpdate(v1.nextState, parseCheckpointUpdate(update), nowSeconds())
    assert.ok(c2.ok, JSON.stringify(c2))
    const d2 = await agent.next('delivery')
    const delivery = parseDelivery(d2['delivery'])
    const v2 = verifyCommand(c2.nextState, delivery, { id: device.id }, nowSeconds())
    assert.ok(v2.ok, JSON.stringify(v2))
    assert.equal(v2.command.id, two.id)
  })

  it('does not send a command whose window closed while the device was offline: the delivery expires', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const stale = await draftCommand(o)
    await approve(o, stale)
    await o.db.updateTable('commands').set({ not_after: Date.now() - 3_600_000 }).execute()
    const live = await draftCommand(o)
    await approve(o, live)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    assert.equal((await agent.next('delivery'))['commandId'], live.id)
    const shown = await get(o, `/v1/orgs/${o.org}/commands/${stale.id}`)
    assert.deepEqual([shown.status, shown.deliveries[0].status], ['done', 'expired'])
    assert.deepEqual((await get(o, `/v1/orgs/${o.org}/alerts`)).alerts, [])
  })

  it('sends each member of a merkle target set its membership proof', async (t) => {
    const o = await listening(t)
    const [a, b] = [await enrollDevice(o), await enrollDevice(o)]
    const outsider = await enrollDevice(o)
    const targets = merkleTargets([a.id, b.id])
    if (targets.kind !== 'merkle') throw new Error('unreachable')
    const cmd = await draftCommand(o, { targets: { kind: 'merkle', root: toBase64(targets.root), count: targets.count } }, [a.id, b.id])
    const [agentA, agentOut] = [await TestAgent.online(o.app, a), await TestAgent.online(o.app, outsider)]
    t.after(() => {
      agentA.close()
      agentOut.close()
    })
    await approve(o, cmd)
    const delivery = parseDelivery((await agentA.next('delivery'))['delivery'])
    assert.ok(delivery.targetProof !== undefined)
    assert.ok(verifyCommand(trustState(o), delivery, { id: a.id }, nowSeconds()).ok)
    assert.ok(await agentOut.quiet(200), 'a device outside the set gets nothing')
  })

  it('replaces an older connection of the same device (4409)', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const old = await TestAgent.online(o.app, device)
    const fresh = await TestAgent.online(o.app, device)
    t.after(() => fresh.close())
    assert.equal((await old.closed).code, 4409)
    assert.equal((await get(o, `/v1/orgs/${o.org}/devices`)).devices[0].online, true)
    fresh.close()
    await fresh.closed
    await waitFor('offline', async () => ((await get(o, `/v1/orgs/${o.org}/devices`)).devices[0].online === false ? true : undefined))
  })
})

describe('agent gateway: refused reports and rejections', { concurrency: true }, () => {
  async function deliveredTo(o: TestOrg, device: TestDevice): Promise<{ agent: TestAgent; commandId: string }> {
    const agent = await TestAgent.online(o.app, device)
    const cmd = await draftCommand(o)
    await approve(o, cmd)
    await agent.next('delivery')
    return { agent, commandId: cmd.id }
  }

  it('refuses a result signed by another device\'s key and raises an alert', async (t) => {
    const o = await listening(t)
    const [victim, other] = [await enrollDevice(o), await enrollDevice(o)]
    const { agent, commandId } = await deliveredTo(o, victim)
    t.after(() => agent.close())
    const forged = await signedResult(other.key, { org: o.org, commandId, deviceId: victim.id })
    agent.send({ type: 'result', envelope: forged, state: { rootVersion: 1, checkpointSize: 2 } })
    const err = await agent.next('error')
    assert.equal(err['code'], 'SRV_GATEWAY_REPORT_SIGNATURE')
    assert.equal((await o.db.selectFrom('results').selectAll().execute()).length, 0)
    const { alerts } = await get(o, `/v1/orgs/${o.org}/alerts`)
    assert.equal(alerts.length, 1)
    assert.deepEqual([alerts[0].code, alerts[0].deviceId], ['SRV_GATEWAY_REPORT_SIGNATURE', victim.id])
  })

  it('refuses a result for a command that was never delivered to the device, with an alert', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    agent.send({ type: 'result', envelope: await signedResult(device.key, { org: o.org, commandId: 'cmd-never', deviceId: device.id }) })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_REPORT_UNSOLICITED')
    const { alerts } = await get(o, `/v1/orgs/${o.org}/alerts`)
    assert.deepEqual([alerts[0].code, alerts[0].commandId], ['SRV_GATEWAY_REPORT_UNSOLICITED', 'cmd-never'])
    // Naming another device, even when signed by this one, is refused too.
    agent.send({ type: 'result', envelope: await signedResult(device.key, { org: o.org, commandId: 'cmd-x', deviceId: 'dev-other' }) })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_REPORT_UNSOLICITED')
  })

  it('stores a rejection as an alert, marks the delivery rejected and acks', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const { agent, commandId } = await deliveredTo(o, device)
    t.after(() => agent.close())
    const envelope = await signedRejection(device.key, { org: o.org, commandId, deviceId: device.id, code: 'PROTO_LOG_INCONSISTENT', message: 'fork!' })
    agent.send({ type: 'rejection', envelope, state: { rootVersion: 1, checkpointSize: 1 } })
    assert.deepEqual(await agent.next('ack'), { type: 'ack', commandId })
    const { alerts } = await get(o, `/v1/orgs/${o.org}/alerts`)
    assert.equal(alerts.length, 1)
    const a = alerts[0]
    assert.deepEqual([a.code, a.message, a.commandId, a.deviceId], ['PROTO_LOG_INCONSISTENT', 'fork!', commandId, device.id])
    assert.equal(typeof a.createdAt, 'number')
    const shown = await get(o, `/v1/orgs/${o.org}/commands/${commandId}`)
    assert.deepEqual([shown.status, shown.deliveries[0].status], ['done', 'rejected'])
    // Sent again: acked, not alerted twice.
    agent.send({ type: 'rejection', envelope })
    await agent.next('ack')
    assert.equal((await get(o, `/v1/orgs/${o.org}/alerts`)).alerts.length, 1)
  })

  it('stores a rejection with a code this server does not know (from a newer agent) as an alert, with the code as it is', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const { agent, commandId } = await deliveredTo(o, device)
    t.after(() => agent.close())
    // Signed as a newer agent would: this version's formatReport is not involved.
    const payload = canonicalJsonBytes({ type: 'palisade.rejection/v1', org: o.org, deviceId: device.id, commandId, code: 'PROTO_FUTURE_THING', message: 'a newer rule', at: Date.now() })
    const envelope = dsse.formatEnvelope(await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(keyId(device.key.pub), device.key.seed)]))
    agent.send({ type: 'rejection', envelope, state: { rootVersion: 1, checkpointSize: 1 } })
    assert.deepEqual(await agent.next('ack'), { type: 'ack', commandId })
    const { alerts } = await get(o, `/v1/orgs/${o.org}/alerts`)
    assert.equal(alerts.length, 1)
    assert.deepEqual([alerts[0].code, alerts[0].message, alerts[0].commandId, alerts[0].deviceId], ['PROTO_FUTURE_THING', 'a newer rule', commandId, device.id])
    const shown = await get(o, `/v1/orgs/${o.org}/commands/${commandId}`)
    assert.equal(shown.deliveries[0].status, 'rejected')
  })
})

describe('agent gateway: authentication and hostile frames', { concurrency: true }, () => {
  it('closes with 4401 for an unknown device and for a bad hello signature', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const unknown = await TestAgent.connect(o.app)
    unknown.hello('dev-unknown', device.key)
    assert.equal((await unknown.closed).code, 4401)
    const imposter = await TestAgent.connect(o.app)
    imposter.hello(device.id, testKey('imposter'))
    assert.equal((await imposter.closed).code, 4401)
    // A signature over another connection's nonce (a replayed hello) fails too.
    const first = await TestAgent.connect(o.app)
    const second = await TestAgent.connect(o.app)
    second.nonce = first.nonce
    second.hello(device.id, device.key)
    assert.equal((await second.closed).code, 4401)
    first.close()
    assert.equal((await get(o, `/v1/orgs/${o.org}/devices`)).devices[0].online, false)
  })

  it('answers malformed frames with error frames and closes with 4400 after three', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    agent.send('not json')
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_MALFORMED')
    agent.send({ type: 'launch-missiles' })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_MALFORMED')
    agent.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_MALFORMED')
    assert.equal((await agent.closed).code, 4400)
  })

  it('refuses frames before hello, and never negotiates compression', async (t) => {
    const o = await listening(t)
    const agent = await TestAgent.connect(o.app, { perMessageDeflate: true })
    assert.equal(agent.ws.extensions, '')
    agent.send({ type: 'inventory', inventory: {}, digest: null })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_UNAUTHENTICATED')
    agent.close()
  })

  it('closes a connection that sends a frame over 4 MiB (1009) and keeps serving others', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    agent.send({ type: 'inventory', inventory: { blob: 'x'.repeat(4 * 1024 * 1024 + 1) }, digest: null })
    assert.equal((await agent.closed).code, 1009)
    const again = await TestAgent.online(o.app, device)
    again.close()
    assert.equal((await o.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
  })

  it('stores an inventory (bounded, rate-limited) with its digest and time', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const digest = 'a'.repeat(64)
    agent.send({ type: 'inventory', inventory: { os: { prettyName: 'Alpine 3.20' }, hostname: device.hostname }, digest })
    const shown = await waitFor('inventory', async () => {
      const d = await get(o, `/v1/orgs/${o.org}/devices/${device.id}`)
      return d.inventory === null ? undefined : d
    })
    assert.deepEqual(shown.inventory, { os: { prettyName: 'Alpine 3.20' }, hostname: device.hostname })
    assert.equal(typeof shown.inventoryAt, 'number')
    assert.equal((await get(o, `/v1/orgs/${o.org}/devices`)).devices[0].os, 'Alpine 3.20')
    const row = await o.db.selectFrom('devices').select('inventory_digest').where('id', '=', device.id).executeTakeFirstOrThrow()
    assert.equal(row.inventory_digest, digest)
    for (let i = 0; i < 2; i++) agent.send({ type: 'inventory', inventory: { n: i }, digest })
    agent.send({ type: 'inventory', inventory: {}, digest })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_RATE_LIMITED', 'the fourth within the interval')
  })

  it('keeps the package rows when an inventory comes again with the stored digest (a reconnect), and stores the rest', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const stored = () => o.db.selectFrom('devices').select(['inventory', 'inventory_digest']).where('id', '=', device.id).executeTakeFirstOrThrow()
    const packages = () => o.db.selectFrom('device_packages').select('version').where('device_id', '=', device.id).execute()
    const inventory = (version: string, freeBytes: number) => ({ memory: { freeBytes }, packages: { packages: [{ name: 'openssl', version, arch: 'amd64' }] } })
    agent.send({ type: 'inventory', inventory: inventory('3.0.2', 1), digest: 'a'.repeat(64) })
    await waitFor('the first inventory', async () => ((await stored()).inventory_digest === 'a'.repeat(64) ? true : undefined))
    assert.deepEqual(await packages(), [{ version: '3.0.2' }])
    // The same digest: the packages are the device's claim of "unchanged" and stay; the volatile figures are stored.
    agent.send({ type: 'inventory', inventory: inventory('9.9.9', 2), digest: 'a'.repeat(64) })
    await waitFor('the resent inventory', async () => (JSON.parse((await stored()).inventory!).memory.freeBytes === 2 ? true : undefined))
    assert.deepEqual(await packages(), [{ version: '3.0.2' }])
    // A new digest replaces the rows.
    agent.send({ type: 'inventory', inventory: inventory('3.0.15', 3), digest: 'b'.repeat(64) })
    await waitFor('the new inventory', async () => ((await stored()).inventory_digest === 'b'.repeat(64) ? true : undefined))
    assert.deepEqual(await packages(), [{ version: '3.0.15' }])
  })

  it('never crashes on random and mutated frames', async (t) => {
    const o = await listening(t)
    const device = await enrollDevice(o)
    const samples = [
      '{}', '[]', 'null', '1', '"x"', '{"type":"hello"}', '{"type":"result","envelope":1}', '{"type":"result","envelope":"{}"}',
      '{"type":"rejection","envelope":"{\\"payload\\":\\"!\\"}"}', '{"type":"inventory","inventory":[],"digest":"x"}',
      '{"type":"hello","deviceId":"a","signature":"AAAA","state":{"rootVersion":-1,"checkpointSize":0}}', '\u0000\uffff', '{"__proto__":{"x":1}}',
    ]
    for (const frame of samples) {
      const agent = await TestAgent.online(o.app, device)
      agent.send(frame)
      const answer = await agent.next()
      assert.equal(answer.type, 'error', frame)
      agent.close()
      await agent.closed
    }
    const agent = await TestAgent.connect(o.app)
    agent.send('{"type":"hello","deviceId":"a","signature":"AAAA","state":{"rootVersion":1,"checkpointSize":0}}')
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_MALFORMED')
    agent.close()
    assert.deepEqual(errorLines(o), [])
  })
})
