import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { nodePublicKey, openDeviceReport, type Rejection } from '@palisade/protocol'
import type { AgentLogger } from '../runtime/logger.js'
import { TestMonitor } from '../testing/monitor.test.helper.js'
import { MonitorOutbox } from './monitor-outbox.js'
import { ReportSigner } from './report-signer.js'

const seed = new Uint8Array(randomBytes(32))
const signer = new ReportSigner(seed, nodePublicKey(seed))
const ORIGIN = 'palisade.test/acme'

function rejection(code: Rejection['code'], commandId: string | null, message: string): Promise<string> {
  return signer.sign({ type: 'palisade.rejection/v1', org: 'acme', deviceId: 'dev-1', commandId, code, message, at: Date.now() })
}

class RecordingLogger implements AgentLogger {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] = []
  log(level: string, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.lines.push({ level, message, fields: { ...fields } })
  }
}

let dir: string
let monitor: TestMonitor
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-outbox-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function files(outboxRoot: string): Promise<string[]> {
  const [sub] = await readdir(outboxRoot)
  return (await readdir(join(outboxRoot, sub!))).filter((n) => n.endsWith('.json')).sort()
}

describe('MonitorOutbox — a flood while the monitor is down (M3)', () => {
  it('keeps the command rejection and the first reports, merges repeats, bounds each code, and sends the command rejection first', async () => {
    monitor = await new TestMonitor().start()
    monitor.down = true
    const root = join(dir, 'flood')
    const logger = new RecordingLogger()
    const outbox = new MonitorOutbox(root, { logger, maxEntries: 6, perCodeMax: 3, commandReserve: 2, retry: { baseMs: 5, maxMs: 20 } })
    try {
      await outbox.setMonitors([monitor.url])
      const body = (envelope: string) => ({ origin: ORIGIN, deviceId: 'dev-1', envelope })
      await outbox.add(body(await rejection('PROTO_SIG_THRESHOLD', 'cmd-evil', 'signed by 1 of 2 admins')))
      // The breached server's flood: many distinct malformed frames, and many exact repeats.
      for (let i = 0; i < 40; i++) await outbox.add(body(await rejection('AGENT_MALFORMED_DELIVERY', null, `frame ${i} is not JSON`)))
      for (let i = 0; i < 40; i++) await outbox.add(body(await rejection('PROTO_LOG_ROLLBACK', null, 'checkpoint size 3 is older than the 9 this device saw')))
      for (let i = 0; i < 10; i++) await outbox.add(body(await rejection('PROTO_MALFORMED', null, `other ${i}`)))
      // a second command rejection still has room; a third beyond the reserve is not queued, but none queued is dropped
      await outbox.add(body(await rejection('PROTO_REPLAY', 'cmd-2', 'already ran')))
      await outbox.add(body(await rejection('PROTO_REPLAY', 'cmd-3', 'already ran')))

      const names = await files(root)
      const codes = names.map((n) => n.split('.')[2])
      assert.equal(names.filter((n) => n.split('.')[1] === 'c').length, 2, names.join(' '))
      assert.equal(codes[0], 'PROTO_SIG_THRESHOLD', 'the first evidence is still first')
      assert.equal(codes.filter((c) => c === 'AGENT_MALFORMED_DELIVERY').length, 3, 'capped per code, keeping the first')
      assert.equal(codes.filter((c) => c === 'PROTO_LOG_ROLLBACK').length, 1, 'repeats merged into one')
      assert.equal(names.filter((n) => n.split('.')[1] === 'o').length, 6, 'capped in all')
      assert.equal(outbox.pending, 8)
      assert.ok(logger.lines.some((l) => l.message.startsWith('merged a repeated report') && l.fields['repeats'] === 10))
      assert.ok(logger.lines.some((l) => l.fields['reason'] === 'too many reports of this code'))
      assert.ok(logger.lines.some((l) => l.fields['reason'] === 'command rejections full'))
      assert.ok(logger.lines.length < 40, `the flood is logged at milestones, not line by line (${logger.lines.length} lines)`)

      monitor.down = false
      await monitor.waitFor((r) => openDeviceReport(r.envelope).commandId === 'cmd-2')
      const got = monitor.reports.map((r) => openDeviceReport(r.envelope))
      assert.equal(got[0]!.commandId, 'cmd-evil', 'the command rejection reached the monitor first')
      assert.deepEqual(got.filter((r) => r.code === 'AGENT_MALFORMED_DELIVERY').map((r) => r.message), ['frame 0 is not JSON', 'frame 1 is not JSON', 'frame 2 is not JSON'])
      assert.equal(got.filter((r) => r.code === 'PROTO_LOG_ROLLBACK').length, 1)
      assert.ok(!got.some((r) => r.commandId === 'cmd-3'))
    } finally {
      await outbox.stop()
      await monitor.stop()
    }
  })

  it('reserves no room for rejections of malformed deliveries naming a server-chosen command id: those are capped per code (N5)', async () => {
    monitor = await new TestMonitor().start()
    monitor.down = true
    const root = join(dir, 'minted')
    const logger = new RecordingLogger()
    const outbox = new MonitorOutbox(root, { logger, maxEntries: 50, perCodeMax: 3, commandReserve: 5, retry: { baseMs: 5, maxMs: 20 } })
    try {
      await outbox.setMonitors([monitor.url])
      const body = (envelope: string) => ({ origin: ORIGIN, deviceId: 'dev-1', envelope })
      // a breached server's junk, each naming a fresh command id of its choosing
      for (const code of ['AGENT_MALFORMED_DELIVERY', 'PROTO_MALFORMED', 'PROTO_PAYLOAD_TYPE'] as const) {
        for (let i = 0; i < 20; i++) await outbox.add(body(await rejection(code, `junk-${code}-${i}`, `delivery ${i} is malformed`)))
      }
      // the reserve is still whole for rejections of command envelopes
      for (let i = 0; i < 5; i++) await outbox.add(body(await rejection('PROTO_SIG_THRESHOLD', `cmd-${i}`, 'signed by 1 of 2 admins')))
      const names = await files(root)
      assert.equal(names.filter((n) => n.split('.')[1] === 'c').length, 5, names.join(' '))
      assert.ok(names.filter((n) => n.split('.')[1] === 'c').every((n) => n.split('.')[2] === 'PROTO_SIG_THRESHOLD'))
      assert.equal(names.filter((n) => n.split('.')[1] === 'o').length, 9, 'three codes, three each')
    } finally {
      await outbox.stop()
      await monitor.stop()
    }
  })

  it('keeps the bounds across a restart (the class is in the file name) and sends a repeat again once the first was delivered', async () => {
    monitor = await new TestMonitor().start()
    monitor.down = true
    const root = join(dir, 'restart')
    const logger = new RecordingLogger()
    const opts = { logger, maxEntries: 3, perCodeMax: 2, commandReserve: 1, retry: { baseMs: 5, maxMs: 20 } }
    const body = (envelope: string) => ({ origin: ORIGIN, deviceId: 'dev-1', envelope })
    let outbox = new MonitorOutbox(root, opts)
    try {
      await outbox.setMonitors([monitor.url])
      await outbox.add(body(await rejection('PROTO_EXPIRED', 'cmd-1', 'expired')))
      await outbox.add(body(await rejection('PROTO_MALFORMED', null, 'a')))
      await outbox.add(body(await rejection('PROTO_MALFORMED', null, 'b')))
      await outbox.stop()
      outbox = new MonitorOutbox(root, opts)
      await outbox.setMonitors([monitor.url])
      await outbox.add(body(await rejection('PROTO_MALFORMED', null, 'c')))
      await outbox.add(body(await rejection('PROTO_EXPIRED', 'cmd-9', 'expired')))
      assert.equal((await files(root)).length, 3)
      monitor.down = false
      await monitor.waitFor((r) => openDeviceReport(r.envelope).message === 'b')
      await outbox.add(body(await rejection('PROTO_MALFORMED', null, 'a')))
      await monitor.waitFor((r) => monitor.reports.filter((x) => openDeviceReport(x.envelope).message === 'a').length === 2)
      assert.deepEqual(monitor.reports.map((r) => openDeviceReport(r.envelope).message), ['expired', 'a', 'b', 'a'])
    } finally {
      await outbox.stop()
      await monitor.stop()
    }
  })
})
