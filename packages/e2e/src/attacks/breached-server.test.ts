/**
 * The breached-server attack suite (DESIGN.md G1–G3, G6). The attacker
 * owns the server: a rogue gateway in this process speaks the real agent
 * protocol to ONE real enrolled agent process (packages/agent/dist/bin.js;
 * the freeze scenario alone runs a second one, of its own org)
 * and hands it, scenario after scenario, every delivery a server holding
 * the database, the log key and one stolen admin key could craft. Each
 * scenario asserts that nothing ran, that the agent kept the rejection
 * with the expected stable code, and that the signed rejection reached the
 * server; controls assert that valid commands do run, before, between and
 * after the attacks.
 *
 * PALISADE_ATTACK_RESULTS=<file> writes the results as JSON
 * (scripts/security-matrix.mjs turns them into docs/SECURITY.md).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dsse, keyId, parseRejection, REJECTION_PAYLOAD_TYPE } from '@palisade/protocol'
import { writeEnrollment } from './agent-process.js'
import { AttackOrg, nowSeconds } from './attack-org.js'
import { Results } from './results.js'
import { RogueGateway } from './rogue-gateway.js'
import { runScenario, type Row } from './run-scenario.js'
import { commandId } from './scenario.js'
import { SUITE } from './suite.js'
import { World } from './world.js'

const DEVICE_ID = 'dev-acme-laptop-7'

describe('a breached server (rogue gateway) against a real enrolled agent process', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'palisade-attacks-'))
  const results = new Results()
  const gw = new RogueGateway()
  let w: World

  before(async () => {
    const a = await new AttackOrg('acme').init()
    const b = await new AttackOrg('globex').init()
    await gw.start()
    const device = await writeEnrollment(join(tmp, 'state'), DEVICE_ID, a, gw.url)
    gw.knowDevice({ id: device.id, publicKey: device.publicKey })
    const runsDir = join(tmp, 'runs')
    mkdirSync(runsDir)
    w = new World({ a, b, device, gw, runsDir, policyPath: join(tmp, 'no-local-policy.json') })
    // An approved command the log holds at index 1, with the genuinely cosigned checkpoint of that time.
    const id = commandId('stale-approved')
    const envelope = await a.signCommand(w.cmd(id), w.quorum)
    const index = a.ledger.append(envelope)
    w.stale = { id, envelope, index, note: await a.ledger.note({ logKey: a.logKey, witnesses: a.witnesses, time: nowSeconds() }) }
    w.startAgent()
    await w.reconnected(0, 20_000)
  })

  after(async () => {
    await w?.stopAgent()
    await gw.stop()
    rmSync(tmp, { recursive: true, force: true })
  })

  for (const s of SUITE) {
    const options = s.role === 'known-gap' ? { todo: `known gap: ${s.gap ?? ''}` } : {}
    it(`[${s.guarantee}] ${s.title}`, options, async () => {
      let row: Row
      try {
        row = await runScenario(w, s)
      } catch (e) {
        results.add({
          slug: s.slug, title: s.title, guarantee: s.guarantee, role: s.role ?? 'attack', expected: s.expect, observed: `error: ${(e as Error).message.slice(0, 200)}`,
          executed: w.runs(s.runsOf ?? commandId(s.slug)) > 0, logged: false, reported: false, pass: false, ms: 0, notes: 'the scenario did not complete',
        })
        throw new Error(`${(e as Error).message}\n--- agent output (tail) ---\n${w.agent.output.slice(-3000)}`)
      }
      results.add(row)
      assert.ok(w.agent.alive, `the agent process died:\n${w.agent.output.slice(-3000)}`)
      assert.ok(
        row.pass,
        `${s.slug}: expected ${row.expected ?? 'no report'}, observed ${row.observed ?? 'no report'}; executed=${row.executed} logged=${row.logged} reported=${row.reported} ${row.notes}`,
      )
    })
  }

  it('afterwards: no attack ran anything, each control ran once, and every local rejection is signed by the device', () => {
    const allowed = new Map(SUITE.filter((s) => s.role === 'control').map((s) => [commandId(s.slug), 1]))
    const gaps = new Set(SUITE.filter((s) => s.role === 'known-gap').map((s) => commandId(s.slug)))
    let attackRuns = 0
    let controlRuns = 0
    for (const name of readdirSync(w.runsDir)) {
      if (gaps.has(name)) continue
      const n = w.runs(name)
      if (allowed.has(name)) {
        controlRuns += n
        assert.equal(n, 1, `control ${name} ran ${n} times`)
      } else attackRuns += n
    }
    const lines = readFileSync(join(w.device.dir, 'rejections.jsonl'), 'utf8').split('\n').filter((l) => l !== '')
    let verified = 0
    const pub = w.device.publicKey
    for (const l of lines) {
      const rec = JSON.parse(l) as { code: string; commandId: string | null; envelope: string }
      const env = dsse.parseEnvelope(rec.envelope)
      dsse.verifyEnvelope(env, { payloadType: REJECTION_PAYLOAD_TYPE, keys: [{ keyid: keyId(pub), publicKey: pub }], threshold: 1 })
      const r = parseRejection(env.payload)
      if (r.code === rec.code && r.commandId === rec.commandId && r.deviceId === w.device.id) verified++
    }
    results.finish({ attackRuns, controlRuns, rejectionsLogged: lines.length, rejectionsVerified: verified })
    assert.equal(attackRuns, 0, `attack scripts ran: ${readdirSync(w.runsDir).join(', ')}`)
    assert.equal(controlRuns, allowed.size)
    assert.equal(verified, lines.length, 'a local rejection record does not match its signed envelope')
    assert.ok(w.agent.alive, 'the agent process is still running')
  })
})
