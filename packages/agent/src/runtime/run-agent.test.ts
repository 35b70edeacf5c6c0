import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeTrustState } from '@palisade/protocol'
import { TestGateway, isHello, isRejection, isResult, type GatewayEvent } from '../testing/gateway.test.helper.js'
import { enrolled, lines, RUN_AS, spoolNames, startAgent, until, type Enrolled } from '../testing/harness.test.helper.js'
import { fakeInventory } from '../testing/inventory.test.helper.js'
import { TestOrg } from '../testing/org.test.helper.js'

let gw: TestGateway
const cleanup: string[] = []
before(async () => {
  gw = await new TestGateway(await new TestOrg('acme').init()).start()
})
after(async () => {
  await gw.stop()
  for (const d of cleanup) await rm(d, { recursive: true, force: true })
})

async function device(): Promise<Enrolled> {
  const e = await enrolled(gw)
  cleanup.push(e.scratch)
  return e
}

/** A logged command whose script appends a line to a sentinel file. */
async function sentinelCommand(e: Enrolled, signers = gw.org.admins.slice(0, 2), over: Record<string, unknown> = {}) {
  const sentinel = join(e.scratch, `sentinel-${Math.random().toString(36).slice(2)}`)
  const cmd = await gw.org.signCommand({ script: `echo ran >> ${sentinel}\necho out\necho err >&2\nexit 3\n`, runAs: RUN_AS, ...over }, signers)
  const index = gw.org.append(cmd.envelope)
  return { ...cmd, index, sentinel }
}

describe('runAgent against a WIRE.md gateway', () => {
  it('runs a 2-of-3 delivery once; the result is signed, spooled, sent, and deleted on ack', async () => {
    const e = await device()
    gw.autoAck = false
    const agent = startAgent(e)
    try {
      const hello = await gw.waitFor(isHello(e.deviceId))
      assert.deepEqual(hello.state, { rootVersion: 1, checkpointSize: 0 })
      const cmd = await sentinelCommand(e)
      await gw.deliver(e.deviceId, cmd.index)
      const { result, state } = await gw.waitFor(isResult(cmd.id))
      assert.equal(await readFile(cmd.sentinel, 'utf8'), 'ran\n')
      assert.equal(result.status, 'completed')
      assert.equal(result.exitCode, 3)
      assert.equal(result.stdout, 'out\n')
      assert.equal(result.stderr, 'err\n')
      assert.equal(result.deviceId, e.deviceId)
      assert.equal(state.checkpointSize, gw.org.leaves.length)
      // persisted before it ran, still there after
      const trust = decodeTrustState(JSON.parse(await readFile(join(e.dir, 'trust-state.json'), 'utf8')))
      assert.ok(Object.hasOwn(trust.executed, cmd.id))
      assert.equal(trust.checkpoint?.size, gw.org.leaves.length)
      assert.equal(trust.lastIndex, cmd.index, 'its log index, so nothing earlier in the log runs after it')
      // kept until the server acks it
      await until(async () => (await spoolNames(e)).length === 1, 'the result is spooled')
      assert.match((await spoolNames(e))[0]!, new RegExp(`^\\d{12}\\.result\\.${cmd.id}\\.json$`))
      gw.ack(e.deviceId, cmd.id)
      await until(async () => (await spoolNames(e)).length === 0, 'the acked result is deleted')
      assert.deepEqual(await lines(join(e.dir, 'rejections.jsonl')), [])
    } finally {
      gw.autoAck = true
      await agent.stop()
    }
  })

  describe('when a delivery is one signature short', () => {
    it('does not run it, rejects it with PROTO_SIG_THRESHOLD, spools the rejection and keeps it locally', async () => {
      const e = await device()
      gw.autoAck = false
      const agent = startAgent(e)
      try {
        await gw.waitFor(isHello(e.deviceId))
        const cmd = await sentinelCommand(e, gw.org.admins.slice(0, 1))
        await gw.deliver(e.deviceId, cmd.index)
        const { rejection } = await gw.waitFor(isRejection('PROTO_SIG_THRESHOLD'))
        assert.equal(rejection.commandId, cmd.id)
        assert.equal(rejection.deviceId, e.deviceId)
        await assert.rejects(stat(cmd.sentinel), { code: 'ENOENT' })
        const log = (await lines(join(e.dir, 'rejections.jsonl'))).map((l) => JSON.parse(l) as Record<string, unknown>)
        assert.equal(log.length, 1)
        assert.equal(log[0]!['code'], 'PROTO_SIG_THRESHOLD')
        assert.equal(typeof log[0]!['envelope'], 'string')
        await until(async () => (await spoolNames(e)).some((n) => n.includes('.rejection.')), 'the rejection is spooled')
        gw.ack(e.deviceId, cmd.id)
        await until(async () => (await spoolNames(e)).length === 0, 'the acked rejection is deleted')
        const trust = decodeTrustState(JSON.parse(await readFile(join(e.dir, 'trust-state.json'), 'utf8')))
        assert.deepEqual(trust.executed, {})
      } finally {
        gw.autoAck = true
        await agent.stop()
      }
    })
  })

  describe('when the local policy forbids remote commands', () => {
    it('rejects a valid command with AGENT_POLICY_FORBIDS and runs nothing', async () => {
      const e = await device()
      await writeFile(e.policyPath, '{"remoteCommands": false}', { mode: 0o600 })
      const agent = startAgent(e)
      try {
        await gw.waitFor(isHello(e.deviceId))
        const cmd = await sentinelCommand(e)
        await gw.deliver(e.deviceId, cmd.index)
        const { rejection } = await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('AGENT_POLICY_FORBIDS')(ev) && ev.rejection.commandId === cmd.id)
        assert.match(rejection.message, /remote commands are disabled/)
        await assert.rejects(stat(cmd.sentinel), { code: 'ENOENT' })
        const trust = decodeTrustState(JSON.parse(await readFile(join(e.dir, 'trust-state.json'), 'utf8')))
        assert.deepEqual(trust.executed, {}, 'a refused command leaves no trace in the trust state')
        assert.equal(trust.lastIndex, null)
      } finally {
        await agent.stop()
      }
    })

    it('refuses every command when the policy file fails to load (fail closed)', async () => {
      const e = await device()
      await writeFile(e.policyPath, '{"remoteCommands": true}')
      await chmod(e.policyPath, 0o666) // writable by others: refused like sshd's StrictModes
      const agent = startAgent(e)
      try {
        await gw.waitFor(isHello(e.deviceId))
        const cmd = await sentinelCommand(e)
        await gw.deliver(e.deviceId, cmd.index)
        const { rejection } = await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('AGENT_POLICY_FORBIDS')(ev) && ev.rejection.commandId === cmd.id)
        assert.match(rejection.message, /cannot be loaded, so every remote command is refused/)
        await assert.rejects(stat(cmd.sentinel), { code: 'ENOENT' })
      } finally {
        await agent.stop()
      }
    })
  })

  it('rejects a malformed delivery with AGENT_MALFORMED_DELIVERY', async () => {
    const e = await device()
    const agent = startAgent(e)
    try {
      await gw.waitFor(isHello(e.deviceId))
      gw.sendRaw(e.deviceId, { type: 'delivery', commandId: 'cmd-bogus', delivery: { envelope: 42 } })
      const { rejection } = await gw.waitFor((ev): ev is Extract<GatewayEvent, { type: 'rejection' }> => isRejection('AGENT_MALFORMED_DELIVERY')(ev) && ev.deviceId === e.deviceId)
      assert.equal(rejection.commandId, 'cmd-bogus')
      assert.equal((await lines(join(e.dir, 'rejections.jsonl'))).length, 1)
    } finally {
      await agent.stop()
    }
  })

  it('resends spooled reports after a reconnect until they are acked, and runs the command once', async () => {
    const e = await device()
    gw.autoAck = false
    const agent = startAgent(e)
    try {
      await gw.waitFor(isHello(e.deviceId))
      const cmd = await sentinelCommand(e)
      await gw.deliver(e.deviceId, cmd.index)
      await gw.waitFor(isResult(cmd.id))
      for (let round = 0; round < 2; round++) {
        const mark = gw.events.length
        gw.dropConnections()
        await gw.waitFor(isHello(e.deviceId), 5000, mark)
        const again = await gw.waitFor(isResult(cmd.id), 5000, mark)
        assert.equal(again.result.status, 'completed')
      }
      gw.ack(e.deviceId, cmd.id)
      await until(async () => (await spoolNames(e)).length === 0, 'the spool is empty after the ack')
      assert.deepEqual(await lines(cmd.sentinel), ['ran'])
    } finally {
      gw.autoAck = true
      await agent.stop()
    }
  })

  it('answers a redelivery of a command whose result is not yet acked with that result, not a rejection', async () => {
    const e = await device()
    gw.autoAck = false
    const agent = startAgent(e)
    try {
      await gw.waitFor(isHello(e.deviceId))
      const cmd = await sentinelCommand(e)
      await gw.deliver(e.deviceId, cmd.index)
      await gw.waitFor(isResult(cmd.id))
      const mark = gw.events.length
      gw.dropConnections()
      await gw.waitFor(isHello(e.deviceId), 5000, mark)
      await gw.deliver(e.deviceId, cmd.index) // the server's pending list, computed before it got the result
      await gw.waitFor(isResult(cmd.id), 5000, mark)
      gw.ack(e.deviceId, cmd.id)
      await until(async () => (await spoolNames(e)).length === 0, 'acked')
      assert.equal(gw.events.slice(mark).filter((ev) => ev.type === 'rejection').length, 0)
      assert.ok(agent.logs.some((l) => l.message.startsWith('redelivery of a command')))
      assert.deepEqual(await lines(cmd.sentinel), ['ran'])
    } finally {
      gw.autoAck = true
      await agent.stop()
    }
  })

  describe('when the server goes away', () => {
    it('reconnects with exponential backoff, and again after the server restarts', async () => {
      const e = await device()
      const agent = startAgent(e, { backoff: { baseMs: 50, maxMs: 5000, resetAfterMs: 60_000, random: () => 0.999 } })
      try {
        await gw.waitFor(isHello(e.deviceId))
        const mark = gw.events.length
        gw.refuseUpgrades = 3
        gw.dropConnections()
        await gw.waitFor(isHello(e.deviceId), 8000, mark)
        const attempts = gw.events.slice(mark).filter((ev): ev is { type: 'attempt'; at: number } => ev.type === 'attempt').map((a) => a.at)
        assert.equal(attempts.length, 4)
        const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!)
        // after a first wait of ~50 ms: ~100, 200, 400 ms (50·2^n with random 0.999), each about double the last
        // Lower bounds only: they double, so a constant or linear backoff fails
        // them, while a loaded machine (which only ever delays a timer) cannot.
        // Comparing each gap with the previous measured one flaked under load.
        gaps.forEach((g, i) => assert.ok(g >= 0.9 * 50 * 2 ** (i + 1), `gap ${i} = ${g} ms (${gaps.join(', ')})`))

        const mark2 = gw.events.length
        await gw.stop()
        await new Promise((r) => setTimeout(r, 300))
        await gw.start()
        await gw.waitFor(isHello(e.deviceId), 8000, mark2)
        assert.ok(gw.connected(e.deviceId))
      } finally {
        await agent.stop()
      }
    })
  })

  it('sends the inventory at connect and then only when its digest changes', async () => {
    const e = await device()
    let calls = 0
    const agent = startAgent(e, {
      inventoryIntervalMs: 100,
      collectInventory: async () => fakeInventory(++calls < 4 ? 'host-a' : 'host-b'),
    })
    try {
      await gw.waitFor(isHello(e.deviceId))
      await until(() => calls >= 6, 'several inventory ticks')
      const digests = gw.events.filter((ev) => ev.type === 'inventory' && ev.deviceId === e.deviceId).map((ev) => (ev as { digest: string }).digest)
      assert.equal(digests.length, 2, `sent ${digests.length} inventories`)
      assert.notEqual(digests[0], digests[1])
      assert.match(digests[0]!, /^[0-9a-f]{64}$/)
    } finally {
      await agent.stop()
    }
  })

  it('on stop, lets the running command finish, keeps its result, and sends it at the next start', async () => {
    const e = await device()
    const agent = startAgent(e)
    await gw.waitFor(isHello(e.deviceId))
    const cmd = await sentinelCommand(e, undefined, { script: `sleep 0.5\necho ran >> ${join(e.scratch, 'slow')}\n` })
    await gw.deliver(e.deviceId, cmd.index)
    await until(async () => (await readdir(join(e.dir, 'running'))).length === 1, 'the command starts')
    const mark = gw.events.length
    await agent.stop() // resolves only after the script finished
    assert.deepEqual(await lines(join(e.scratch, 'slow')), ['ran'])
    assert.deepEqual(await readdir(join(e.dir, 'running')), [])
    assert.equal(gw.events.slice(mark).filter((ev) => ev.type === 'result').length, 0, 'the connection was already closed')
    assert.equal((await spoolNames(e)).length, 1)
    const again = startAgent(e)
    try {
      const { result } = await gw.waitFor(isResult(cmd.id), 5000, mark)
      assert.equal(result.status, 'completed')
      await until(async () => (await spoolNames(e)).length === 0, 'acked')
    } finally {
      await again.stop()
    }
  })

  it('stops cleanly on abort and refuses to start on a state it cannot vouch for', async () => {
    const e = await device()
    const agent = startAgent(e)
    await gw.waitFor(isHello(e.deviceId))
    const mark = gw.events.length
    await agent.stop()
    await gw.waitFor((ev) => ev.type === 'closed' && ev.deviceId === e.deviceId, 3000, mark)
    assert.ok(agent.logs.some((l) => l.message === 'agent stopped'))

    await chmod(join(e.dir, 'device.key'), 0o644)
    await assert.rejects(startAgent(e).done, { code: 'AGENT_STATE_INVALID' })
    await chmod(join(e.dir, 'device.key'), 0o600)
    const trust = JSON.parse(await readFile(join(e.dir, 'trust-state.json'), 'utf8')) as { pinned: string }
    trust.pinned = '0'.repeat(64)
    await writeFile(join(e.dir, 'trust-state.json'), JSON.stringify(trust))
    await assert.rejects(startAgent(e).done, { code: 'AGENT_STATE_INVALID' })
    await assert.rejects(startAgent({ ...e, dir: join(e.scratch, 'nothing') }).done, { code: 'AGENT_NOT_ENROLLED' })
  })
})
