// Checkpoints pushed on their own (the gateway's `checkpoint` frame) and
// the freshness alert (AGENT_CHECKPOINT_STALE) when a server withholds them.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ALERT_PAYLOAD_TYPE, dsse, decodeTrustState, parseAlert, parseRejection, REJECTION_PAYLOAD_TYPE } from '@palisade/protocol'
import { TestGateway, isAlert, isHello, isRejection, type GatewayEvent } from '../testing/gateway.test.helper.js'
import { enrolled, lines, startAgent, until, type Enrolled } from '../testing/harness.test.helper.js'
import { TestMonitor } from '../testing/monitor.test.helper.js'
import { TestOrg } from '../testing/org.test.helper.js'

let gw: TestGateway
let monitor: TestMonitor
const cleanup: string[] = []
before(async () => {
  monitor = await new TestMonitor().start()
  gw = await new TestGateway(await new TestOrg('acme', { monitors: [monitor.url], checkpointMaxAgeSeconds: 300 }).init()).start()
})
after(async () => {
  await gw.stop()
  await monitor.stop()
  for (const d of cleanup) await rm(d, { recursive: true, force: true })
})

async function device(): Promise<Enrolled> {
  const e = await enrolled(gw)
  cleanup.push(e.scratch)
  return e
}

async function trust(e: Enrolled) {
  return decodeTrustState(JSON.parse(await readFile(join(e.dir, 'trust-state.json'), 'utf8')))
}

const FAST = { stalenessCheckMs: 25, monitors: { timeoutMs: 2000, retry: { baseMs: 20, maxMs: 200 } } }

describe('a checkpoint frame', () => {
  it('is verified, persisted with its cosigned-at time, and reported in the next hello', async () => {
    const e = await device()
    let agent = startAgent(e, FAST)
    try {
      await gw.waitFor(isHello(e.deviceId))
      const at = Math.floor(Date.now() / 1000) - 30
      await gw.pushCheckpoint(e.deviceId, at)
      await until(async () => (await trust(e)).checkpoint?.size === gw.org.leaves.length, 'the checkpoint is persisted')
      assert.equal((await trust(e)).cosignedAt, at)
      // the same size re-cosigned later: accepted, freshness advances
      await gw.pushCheckpoint(e.deviceId, at + 20)
      await until(async () => (await trust(e)).cosignedAt === at + 20, 'the re-cosigned checkpoint is persisted')
      await agent.stop()
      const since = gw.events.length
      agent = startAgent(e, FAST)
      const hello = await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'hello' }> => isHello(e.deviceId)(ev), 10_000, since)
      assert.deepEqual(hello.state, { rootVersion: 1, checkpointSize: gw.org.leaves.length })
      assert.deepEqual(await lines(join(e.dir, 'rejections.jsonl')), [])
    } finally {
      await agent.stop()
    }
  })

  describe('when it shows a fork of the log the device saw', () => {
    it('is refused with PROTO_LOG_INCONSISTENT: kept locally with both notes, reported to the server and to the monitor', async () => {
      const e = await device()
      const agent = startAgent(e, FAST)
      try {
        await gw.waitFor(isHello(e.deviceId))
        await gw.pushCheckpoint(e.deviceId)
        await until(async () => (await trust(e)).checkpoint !== null, 'the honest checkpoint is persisted')
        const honest = (await trust(e)).checkpoint!
        // Another history of the same size, signed by the same (server-held) log key and cosigned.
        const fork = await new TestOrg('acme', { monitors: [monitor.url], checkpointMaxAgeSeconds: 300 }).init()
        fork.rootEnvelopes = gw.org.rootEnvelopes // the same root (its line must match), another history
        fork.leaves.splice(0, fork.leaves.length, ...gw.org.leaves.slice(0, -1), new TextEncoder().encode('rewritten'))
        const note = await fork.checkpointNote()
        gw.sendRaw(e.deviceId, { type: 'checkpoint', note, consistency: [] })
        const { rejection } = await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('PROTO_LOG_INCONSISTENT')(ev) && ev.deviceId === e.deviceId)
        assert.equal(rejection.commandId, null)
        const rec = JSON.parse((await lines(join(e.dir, 'rejections.jsonl')))[0]!) as { code: string; details: { seen: string; offered: string }; envelope: string }
        assert.equal(rec.code, 'PROTO_LOG_INCONSISTENT')
        assert.equal(rec.details.seen, honest.note)
        assert.equal(rec.details.offered, note)
        const seen = await monitor.waitFor((r) => r.envelope === rec.envelope)
        assert.equal(seen.deviceId, e.deviceId)
        assert.equal(parseRejection(dsse.parseEnvelope(seen.envelope).payload).code, 'PROTO_LOG_INCONSISTENT')
        assert.equal(dsse.parseEnvelope(seen.envelope).payloadType, REJECTION_PAYLOAD_TYPE)
        assert.equal((await trust(e)).checkpoint?.note, honest.note, 'the trust state is unchanged')
      } finally {
        await agent.stop()
      }
    })
  })
})

describe('a server that withholds every checkpoint (freeze)', () => {
  it('raises AGENT_CHECKPOINT_STALE once the root\'s max age passes: in alerts.jsonl, at the server and at the monitor; once per episode', async () => {
    const e = await device()
    let offset = 0
    const agent = startAgent(e, { ...FAST, clock: () => Date.now() + offset })
    try {
      await gw.waitFor(isHello(e.deviceId))
      await gw.pushCheckpoint(e.deviceId)
      await until(async () => (await trust(e)).cosignedAt !== null, 'a first checkpoint is persisted')
      assert.equal((await lines(join(e.dir, 'alerts.jsonl'))).length, 0, 'fresh: no alert')
      // From now on the server pushes nothing; 301 s pass.
      offset = 301_000
      const { alert, envelope } = await gw.waitFor(isAlert('AGENT_CHECKPOINT_STALE', e.deviceId))
      assert.equal(alert.details['maxAgeSeconds'], 300)
      assert.ok((alert.details['ageSeconds'] as number) > 300)
      assert.equal(alert.details['checkpointSize'], gw.org.leaves.length)
      const local = (await lines(join(e.dir, 'alerts.jsonl'))).map((l) => JSON.parse(l) as { code: string; envelope: string })
      assert.equal(local.length, 1)
      assert.equal(local[0]!.code, 'AGENT_CHECKPOINT_STALE')
      assert.equal(local[0]!.envelope, envelope)
      const atMonitor = await monitor.waitFor((r) => r.envelope === envelope)
      assert.equal(atMonitor.contentType, 'application/json')
      assert.equal(atMonitor.origin, gw.org.origin)
      assert.equal(dsse.parseEnvelope(atMonitor.envelope).payloadType, ALERT_PAYLOAD_TYPE)
      assert.equal(parseAlert(dsse.parseEnvelope(atMonitor.envelope).payload).deviceId, e.deviceId)
      // Several checks later (one every 25 ms), still one alert for this episode...
      await new Promise((r) => setTimeout(r, 200))
      assert.equal((await lines(join(e.dir, 'alerts.jsonl'))).length, 1, 'once per episode')
      // ...and again after another max age.
      offset = 602_000
      await until(async () => (await lines(join(e.dir, 'alerts.jsonl'))).length === 2, 'the alert repeats after another max age')
      // A fresh checkpoint ends the episode.
      offset = 0
      await gw.pushCheckpoint(e.deviceId)
      await until(() => agent.logs.some((l) => l.message === 'a fresh checkpoint ended the staleness alert'), 'the episode ends')
    } finally {
      await agent.stop()
    }
  })

  it('raises it too for a device that never got a checkpoint, measured from when the agent started', async () => {
    const e = await device()
    let offset = 0
    const agent = startAgent(e, { ...FAST, clock: () => Date.now() + offset })
    try {
      await gw.waitFor(isHello(e.deviceId))
      offset = 301_000
      const { alert } = await gw.waitFor(isAlert('AGENT_CHECKPOINT_STALE', e.deviceId))
      assert.equal(alert.details['cosignedAt'], null)
      assert.equal(alert.details['checkpointSize'], 0)
    } finally {
      await agent.stop()
    }
  })
})
