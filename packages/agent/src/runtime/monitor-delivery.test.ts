// Every rejection also goes to the monitors the root names, from a durable
// outbox that survives restarts and waits out a monitor that is down.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { dsse, parseRejection } from '@palisade/protocol'
import { TestGateway, isHello, isRejection, type GatewayEvent } from '../testing/gateway.test.helper.js'
import { enrolled, lines, RUN_AS, startAgent, until, type Enrolled } from '../testing/harness.test.helper.js'
import { TestMonitor } from '../testing/monitor.test.helper.js'
import { TestOrg } from '../testing/org.test.helper.js'

let gw: TestGateway
let monitor: TestMonitor
let other: TestMonitor
const cleanup: string[] = []
before(async () => {
  monitor = await new TestMonitor().start()
  other = await new TestMonitor().start() // not in the root: must never hear a thing
  gw = await new TestGateway(await new TestOrg('acme', { monitors: [monitor.url] }).init()).start()
})
after(async () => {
  await gw.stop()
  await monitor.stop()
  await other.stop()
  for (const d of cleanup) await rm(d, { recursive: true, force: true })
})

async function device(): Promise<Enrolled> {
  const e = await enrolled(gw)
  cleanup.push(e.scratch)
  return e
}

const FAST = { monitors: { timeoutMs: 2000, retry: { baseMs: 20, maxMs: 100 } } }

async function outboxFiles(e: Enrolled): Promise<string[]> {
  const root = join(e.dir, 'monitor-outbox')
  const out: string[] = []
  for (const d of await readdir(root)) for (const f of await readdir(join(root, d))) if (!f.startsWith('.')) out.push(f)
  return out
}

async function shortCommand(): Promise<{ id: string; index: number }> {
  const cmd = await gw.org.signCommand({ script: 'echo never', runAs: RUN_AS }, gw.org.admins.slice(0, 1))
  return { id: cmd.id, index: gw.org.append(cmd.envelope) }
}

describe('monitor delivery', () => {
  it('POSTs every rejection, as signed, to the root\'s monitor and to no other URL', async () => {
    const e = await device()
    const agent = startAgent(e, FAST)
    try {
      await gw.waitFor(isHello(e.deviceId))
      const cmd = await shortCommand()
      await gw.deliver(e.deviceId, cmd.index)
      await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('PROTO_SIG_THRESHOLD')(ev) && ev.rejection.commandId === cmd.id)
      const local = JSON.parse((await lines(join(e.dir, 'rejections.jsonl')))[0]!) as { envelope: string }
      const r = await monitor.waitFor((x) => x.envelope === local.envelope)
      assert.deepEqual([r.origin, r.deviceId, r.contentType], [gw.org.origin, e.deviceId, 'application/json'])
      assert.equal(parseRejection(dsse.parseEnvelope(r.envelope).payload).commandId, cmd.id)
      await until(async () => (await outboxFiles(e)).length === 0, 'the delivered report leaves the outbox')
      assert.equal(other.requests, 0)
    } finally {
      await agent.stop()
    }
  })

  describe('when the monitor is down', () => {
    it('keeps the report across an agent restart, retries, and delivers it once the monitor is back', async () => {
      const e = await device()
      monitor.down = true
      let agent = startAgent(e, FAST)
      try {
        await gw.waitFor(isHello(e.deviceId))
        const cmd = await shortCommand()
        await gw.deliver(e.deviceId, cmd.index)
        await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('PROTO_SIG_THRESHOLD')(ev) && ev.rejection.commandId === cmd.id)
        const seenBefore = monitor.requests
        await until(() => monitor.requests >= seenBefore + 2, 'the agent retries the monitor')
        await agent.stop()
        assert.equal((await outboxFiles(e)).length, 1, 'kept on disk while the agent is stopped')
        assert.ok(agent.logs.some((l) => l.message === 'a monitor did not take a report; retrying' && l.fields['reason'] === 'status 503'))

        monitor.down = false
        agent = startAgent(e, FAST)
        const local = JSON.parse((await lines(join(e.dir, 'rejections.jsonl')))[0]!) as { envelope: string }
        const r = await monitor.waitFor((x) => x.envelope === local.envelope)
        assert.equal(r.deviceId, e.deviceId)
        await until(async () => (await outboxFiles(e)).length === 0, 'the outbox is empty')
      } finally {
        monitor.down = false
        await agent.stop()
      }
    })
  })
})
