// The gateway pushes checkpoints on their own (WIRE.md `checkpoint` frame):
// after welcome, on every publish (a grown log after a short hold, and not
// to agents whose delivery carried it), and when the log re-cosigns an idle
// checkpoint on the gateway's timer, so honest idle devices stay fresh.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import {
  ALERT_PAYLOAD_TYPE, cosignature, dsse, formatAlert, initialTrustState, keyId, parseCheckpointUpdate, parseDelivery, verifyCheckpointUpdate, verifyCommand,
  type TrustState,
} from '@palisade/protocol'
import { buildApp } from '../app.js'
import { addOrg, approve, createTestOrg, draftCommand, enrollDevice, testKey, type TestOrg, type TestWitness } from '../commands/org.test.helper.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { OrgLog } from '../log/org-log.js'
import { ROUTES } from '../routes/index.js'
import { setupRoutes } from '../setup/routes.js'
import { parseAddCheckpointBody } from '../witness-client/add-checkpoint-body.js'
import { AgentGateway, PUSH_HOLD_MS } from './agent-gateway.js'
import { serveGateway, signedResult, TestAgent, type ServerMessage } from './agent.test.helper.js'

type Cleanup = Parameters<typeof createTestOrg>[0]
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** Checks a checkpoint frame as a device would, and returns the device's next state. */
function accept(state: TrustState, frame: ServerMessage, now = nowSeconds()): TrustState {
  const { type, ...update } = frame
  assert.equal(type, 'checkpoint')
  const r = verifyCheckpointUpdate(state, parseCheckpointUpdate(update), now)
  assert.ok(r.ok, !r.ok ? `${r.code}: ${r.message}` : '')
  return r.nextState
}

/** A witness that cosigns everything at a time the test controls (seconds added to now). */
async function clockedWitness(t: Cleanup): Promise<TestWitness & { offset: number }> {
  const name = 'clocked-witness.test'
  const key = testKey(name)
  const witness = { url: '', vkey: cosignature.formatWitnessVerifierKey(name, key.pub), requests: 0, offset: 0 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => {
      witness.requests++
      const request = parseAddCheckpointBody(body)
      if (request === undefined) return void res.writeHead(400).end()
      const text = request.note.slice(0, request.note.indexOf('\n\n') + 1)
      cosignature.cosign(text, { name, seed: key.seed }, nowSeconds() + witness.offset).then(
        (line) => res.writeHead(200, { 'content-type': 'text/plain' }).end(line),
        () => res.writeHead(400).end(),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  witness.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return witness
}

/** An org on an app whose log runs on a clock the test moves, with a witness whose time it moves too. */
async function clockedOrg(t: Cleanup): Promise<{ o: TestOrg; log: OrgLog; clock: { offsetMs: number }; witness: TestWitness & { offset: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-server-test-'))
  const made = await testDatabase('ckpush')
  const config = testConfig(dir, { ...made.env, PALISADE_LISTEN: '127.0.0.1:0' })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('info')
  const clock = { offsetMs: 0 }
  const log = new OrgLog({ db, logger, now: () => Date.now() + clock.offsetMs })
  const app = buildApp({ config, db, logger, log, routes: ROUTES.includes(setupRoutes) ? ROUTES : [...ROUTES, setupRoutes] })
  t.after(async () => {
    await app.close()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const witness = await clockedWitness(t)
  const o = await addOrg({ app, db, config, lines, witness }, 'acme')
  return { o, log, clock, witness }
}

describe('agent gateway: checkpoint frames', { concurrency: true }, () => {
  it('sends the latest cosigned checkpoint right after welcome, before anything else; it verifies from the device\'s own state', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const frame = await agent.next('checkpoint')
    assert.deepEqual(agent.received.map((m) => m.type), ['challenge', 'welcome', 'checkpoint'])
    assert.equal(agent.received[2], frame)
    assert.deepEqual(frame['consistency'], [])
    assert.equal(frame['rootUpdates'], undefined)
    const next = accept(initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds()), frame)
    assert.equal(next.checkpoint?.size, 1)
    assert.ok(next.cosignedAt !== null && Math.abs(next.cosignedAt - nowSeconds()) < 60)
  })

  it('on publish of a command: its targets get the new checkpoint in their delivery (checked once, no push), other agents of the org get it pushed after the hold', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const [a, b] = [await enrollDevice(o), await enrollDevice(o)]
    const agentA = await TestAgent.online(o.app, a)
    const agentB = await TestAgent.online(o.app, b)
    t.after(() => (agentA.close(), agentB.close()))
    const start = initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds())
    const stateA = accept(start, await agentA.next('checkpoint'))
    const stateB = accept(start, await agentB.next('checkpoint'))
    const cmd = await draftCommand(o, { targets: { kind: 'devices', ids: [a.id] } })
    const approved = Date.now()
    await approve(o, cmd)

    const m = await agentA.next('delivery')
    assert.deepEqual(agentA.received.map((f) => f.type), ['challenge', 'welcome', 'checkpoint', 'delivery'], 'no checkpoint frame ahead of the delivery')
    const verdict = verifyCommand(stateA, parseDelivery(m['delivery']), { id: a.id }, nowSeconds())
    assert.ok(verdict.ok, JSON.stringify(verdict))
    assert.equal(verdict.checkpoint.size, 2)
    assert.equal(m['delivery'].consistencyProof.length, 1, 'the delivery proves 1 → 2 itself')

    const pushed = await agentB.next('checkpoint')
    assert.ok(Date.now() - approved >= PUSH_HOLD_MS - 50, 'pushed on its own only after the hold')
    const next = accept(stateB, pushed)
    assert.equal(next.checkpoint?.size, 2)
    assert.equal((pushed['consistency'] as string[]).length, 1, 'a proof from size 1 to 2')
    // A's push (queued with B's, skipped: its delivery carried the checkpoint) would come before this ack.
    const envelope = await signedResult(a.key, { org: o.org, commandId: cmd.id, deviceId: a.id })
    agentA.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: 2 } })
    assert.deepEqual(await agentA.next('ack'), { type: 'ack', commandId: cmd.id })
    assert.equal(agentA.received.filter((f) => f.type === 'checkpoint').length, 1)
  })

  it('does not push to agents of another org', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const other = await addOrg(o, 'globex')
    const mine = await enrollDevice(o)
    const theirs = await enrollDevice(other)
    const agentMine = await TestAgent.online(o.app, mine)
    const agentTheirs = await TestAgent.online(o.app, theirs)
    t.after(() => (agentMine.close(), agentTheirs.close()))
    await agentMine.next('checkpoint')
    await agentTheirs.next('checkpoint')
    const offline = await enrollDevice(o)
    await approve(o, await draftCommand(o, { targets: { kind: 'devices', ids: [offline.id] } }))
    await agentMine.next('checkpoint') // not targeted: pushed after the hold
    assert.equal(agentTheirs.received.filter((m) => m.type === 'checkpoint').length, 1)
  })

  describe('when the log is idle', () => {
    it('re-cosigns the same size once it is getting old and pushes it; a device\'s freshness advances', async (t) => {
      const { o, log, clock, witness } = await clockedOrg(t)
      const device = await enrollDevice(o)
      const agent = await TestAgent.online(o.app, device)
      t.after(() => agent.close())
      const s1 = accept(initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds()), await agent.next('checkpoint'))
      // Not old yet: a publish with nothing new changes nothing.
      await log.publish(o.org)
      assert.ok(await agent.quiet(100))
      // An hour later (the root sets no max age: the interval is capped at 1 h), the same size is re-cosigned.
      clock.offsetMs = 3601_000
      witness.offset = 3601
      const before = witness.requests
      await log.publish(o.org)
      assert.equal(witness.requests, before + 1)
      const frame = await agent.next('checkpoint')
      const s2 = accept(s1, frame, nowSeconds() + 3601)
      assert.equal(s2.checkpoint?.size, s1.checkpoint?.size)
      assert.ok(s2.cosignedAt! >= s1.cosignedAt! + 3601)
      // The stored note is the re-cosigned one.
      assert.equal((await log.latest(o.org))?.note, frame['note'])
    })

    it('the gateway\'s timer does the re-publishing for orgs with a connected agent', async (t) => {
      const { o, log, clock, witness } = await clockedOrg(t)
      // A second gateway with a short timer, fed from its own socket, over the same database and log.
      const gateway = new AgentGateway({ db: o.db, log, logger: o.app.log, publications: log, refreshCheckMs: 50 })
      const url = await serveGateway(t, gateway)
      const device = await enrollDevice(o)
      const agent = await TestAgent.online(url, device)
      t.after(() => agent.close())
      const s1 = accept(initialTrustState(o.fingerprint, o.rootEnvelopes, nowSeconds()), await agent.next('checkpoint'))
      clock.offsetMs = 3601_000
      witness.offset = 3601
      const frame = await agent.next('checkpoint')
      clock.offsetMs = 0 // one re-cosigning is enough for this test
      const s2 = accept(s1, frame, nowSeconds() + 3601)
      assert.ok(s2.cosignedAt! > s1.cosignedAt!)
    })
  })
})

describe('agent gateway: alert frames', { concurrency: true }, () => {
  async function signedAlert(key: ReturnType<typeof testKey>, org: string, deviceId: string): Promise<string> {
    const payload = formatAlert({
      type: 'palisade.alert/v1',
      org,
      deviceId,
      code: 'AGENT_CHECKPOINT_STALE',
      message: 'no fresh checkpoint for 90000 s',
      time: nowSeconds(),
      details: { maxAgeSeconds: 86400, ageSeconds: 90000, cosignedAt: null, checkpointSize: 1 },
    })
    return dsse.formatEnvelope(await dsse.signEnvelope(ALERT_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(keyId(key.pub), key.seed)]))
  }

  it('stores a device-signed alert as an alert of the org, with its evidence, and acks it with a null command id', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const envelope = await signedAlert(device.key, o.org, device.id)
    agent.send({ type: 'alert', envelope, state: { rootVersion: 1, checkpointSize: 1 } })
    assert.deepEqual(await agent.next('ack'), { type: 'ack', commandId: null })
    const row = await o.db.selectFrom('alerts').selectAll().where('org_id', '=', o.org).executeTakeFirstOrThrow()
    assert.deepEqual([row.code, row.device_id, row.command_id], ['AGENT_CHECKPOINT_STALE', device.id, null])
    const details = JSON.parse(row.details) as Record<string, unknown>
    assert.equal(details['envelope'], envelope)
    assert.equal(details['maxAgeSeconds'], 86400)
  })

  it('refuses an alert signed by another key (SRV_GATEWAY_REPORT_SIGNATURE) and one naming another device (SRV_GATEWAY_REPORT_UNSOLICITED)', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    agent.send({ type: 'alert', envelope: await signedAlert(testKey('mallory'), o.org, device.id) })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_REPORT_SIGNATURE')
    agent.send({ type: 'alert', envelope: await signedAlert(device.key, o.org, 'dev-someone-else') })
    assert.equal((await agent.next('error'))['code'], 'SRV_GATEWAY_REPORT_UNSOLICITED')
    const codes = (await o.db.selectFrom('alerts').select('code').where('org_id', '=', o.org).execute()).map((r) => r.code)
    assert.ok(!codes.includes('AGENT_CHECKPOINT_STALE'))
  })
})
