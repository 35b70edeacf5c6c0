// The agent as a real separate process (testing/agent-child.test.helper.ts),
// stopped with SIGTERM or killed with SIGKILL and started again on the same
// state directory.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { INTERRUPTED_PREFIX } from './recover.js'
import { TestGateway, isHello, isRejection, isResult, type GatewayEvent } from '../testing/gateway.test.helper.js'
import { enrolled, lines, RUN_AS, spoolNames, until, type Enrolled } from '../testing/harness.test.helper.js'
import { TestOrg } from '../testing/org.test.helper.js'

const CHILD = fileURLToPath(new URL('../testing/agent-child.test.helper.js', import.meta.url))

interface Child {
  readonly proc: ChildProcess
  readonly stderr: () => string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function spawnAgent(e: Enrolled): Child {
  const proc = spawn(process.execPath, [CHILD, e.dir, e.policyPath], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return { proc, stderr: () => err, exited }
}

let gw: TestGateway
const cleanup: (() => Promise<void> | void)[] = []
before(async () => {
  gw = await new TestGateway(await new TestOrg('acme').init()).start()
})
after(async () => {
  for (const f of cleanup.reverse()) await f()
  await gw.stop()
})

async function device(): Promise<Enrolled> {
  const e = await enrolled(gw)
  cleanup.push(() => rm(e.scratch, { recursive: true, force: true }))
  return e
}

function started(e: Enrolled): Child {
  const c = spawnAgent(e)
  cleanup.push(() => {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL')
  })
  return c
}

describe('the agent process', () => {
  it('stops cleanly on SIGTERM and, restarted, never re-runs an executed command: the replay is rejected with PROTO_REPLAY', async () => {
    const e = await device()
    const sentinel = join(e.scratch, 'sentinel')
    const cmd = await gw.org.signCommand({ script: `echo ran >> ${sentinel}\n`, runAs: RUN_AS })
    const index = gw.org.append(cmd.envelope)

    const first = started(e)
    await gw.waitFor(isHello(e.deviceId))
    await gw.deliver(e.deviceId, index)
    await gw.waitFor(isResult(cmd.id))
    await until(async () => (await spoolNames(e)).length === 0, 'the result is acked')
    first.proc.kill('SIGTERM')
    assert.deepEqual(await first.exited, { code: 0, signal: null }, first.stderr())
    assert.match(first.stderr(), /"message":"agent stopped"/)

    const mark = gw.events.length
    const second = started(e)
    const hello = await gw.waitFor(isHello(e.deviceId), 10_000, mark)
    assert.deepEqual(hello.state, { rootVersion: 1, checkpointSize: gw.org.leaves.length })
    await gw.deliver(e.deviceId, index) // a server replaying an old, valid command
    const { rejection } = await gw.waitFor(isRejection('PROTO_REPLAY'), 10_000, mark)
    assert.equal(rejection.commandId, cmd.id)
    assert.deepEqual(await lines(sentinel), ['ran'])
    second.proc.kill('SIGTERM')
    assert.equal((await second.exited).code, 0)
  })

  describe('when the agent is killed while a command runs', () => {
    it('does not run it again after a restart and reports it as interrupted, outcome unknown', async () => {
      const e = await device()
      const sentinel = join(e.scratch, 'sentinel')
      const pidFile = join(e.scratch, 'script.pid')
      const cmd = await gw.org.signCommand({ script: `echo $$ > ${pidFile}\necho ran >> ${sentinel}\nsleep 30\n`, runAs: RUN_AS })
      const index = gw.org.append(cmd.envelope)

      const first = started(e)
      await gw.waitFor(isHello(e.deviceId))
      await gw.deliver(e.deviceId, index)
      await until(async () => (await lines(sentinel)).length === 1, 'the script runs', 10_000)
      assert.deepEqual(await readdir(join(e.dir, 'running')), [`${cmd.id}.json`])
      first.proc.kill('SIGKILL')
      await first.exited
      // what systemd does to the rest of the unit's processes
      const pgid = Number((await readFile(pidFile, 'utf8')).trim())
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // already gone
      }

      const mark = gw.events.length
      const second = started(e)
      await gw.waitFor(isHello(e.deviceId), 10_000, mark)
      const { result } = await gw.waitFor(isResult(cmd.id), 10_000, mark)
      assert.equal(result.status, 'timed-out')
      assert.equal(result.exitCode, null)
      assert.equal(result.signal, null)
      assert.ok(result.stderr.startsWith(INTERRUPTED_PREFIX), result.stderr)
      assert.match(result.stderr, /will not run again/)
      await until(async () => (await spoolNames(e)).length === 0, 'the interrupted result is acked')
      assert.deepEqual(await readdir(join(e.dir, 'running')), [])

      // the same connection carried that result, so a redelivery now is the
      // server's race, not a replay: nothing runs and nothing is rejected
      await gw.deliver(e.deviceId, index)
      await new Promise((r) => setTimeout(r, 300))
      assert.deepEqual(await lines(sentinel), ['ran'])
      assert.equal(gw.events.slice(mark).filter((ev: GatewayEvent) => ev.type === 'rejection').length, 0)
      second.proc.kill('SIGTERM')
      assert.equal((await second.exited).code, 0)
    })
  })
})
