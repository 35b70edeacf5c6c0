import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dsse, nodePublicKey, parseCommandResult, type TrustState } from '@palisade/protocol'
import { ReportSigner } from '../report/report-signer.js'
import { Spool } from '../report/spool.js'
import { seed } from '../testing/org.test.helper.js'
import { silentLogger } from './logger.js'
import { INTERRUPTED_PREFIX, recoverInterrupted } from './recover.js'
import { writeRunMarker } from './run-markers.js'

let root: string
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'palisade-recover-'))
})
after(async () => rm(root, { recursive: true, force: true }))

describe('recoverInterrupted', () => {
  it('settles each leftover marker by where the crash fell', async () => {
    const runningDir = join(root, 'running')
    const spoolDir = join(root, 'spool')
    await mkdir(runningDir)
    await mkdir(spoolDir)
    const spool = await Spool.open(spoolDir)
    const s = seed('device')
    const signer = new ReportSigner(s, nodePublicKey(s))
    // crashed between "result spooled" and "marker removed"
    await writeRunMarker(runningDir, { commandId: 'cmd-done', startedAt: 1000 })
    await spool.add('result', 'cmd-done', '{}')
    // crashed between "marker written" and "state persisted": never started
    await writeRunMarker(runningDir, { commandId: 'cmd-never', startedAt: 2000 })
    // crashed after "state persisted", before the result: outcome unknown
    await writeRunMarker(runningDir, { commandId: 'cmd-cut', startedAt: 3000 })
    const trust = { executed: { 'cmd-done': 9e9, 'cmd-cut': 9e9 } } as unknown as TrustState

    const interrupted = await recoverInterrupted({ runningDir, spool, trust, signer, deviceId: 'dev-1', org: 'acme', logger: silentLogger })
    assert.deepEqual(interrupted, ['cmd-cut'])
    assert.deepEqual(await readdir(runningDir), [])
    assert.deepEqual(spool.entries().map((e) => e.commandId), ['cmd-done', 'cmd-cut'])
    const env = dsse.parseEnvelope((await spool.read(spool.entries()[1]!))!)
    const result = parseCommandResult(env.payload)
    assert.equal(result.status, 'timed-out')
    assert.equal(result.exitCode, null)
    assert.equal(result.startedAt, 3000)
    assert.ok(result.stderr.startsWith(INTERRUPTED_PREFIX))
  })
})
