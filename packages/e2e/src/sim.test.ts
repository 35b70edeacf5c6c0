/**
 * `palisade sim` end to end, with real processes on loopback: a server on
 * SQLite, a witness and an org set up through the CLI, then 50 simulated
 * agents in two worker processes. It checks what the simulator promises:
 * every agent enrolls through the real route and connects; a 2-of-3
 * quorum-signed command completes on all 50 with results that say they
 * were simulated; a rerun on the same --state-dir reconnects the same 50
 * devices without enrolling any; and a forged delivery from a rogue
 * gateway (one admin signature of the two the root requires) is refused
 * with the stable code, in a rejection signed by the device key.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unlockKey } from '@palisade/cli'
import {
  canonicalJsonBytes, decodeTrustState, dsse, formatCommandPayload, formatDelivery, fromBase64, keyId, nodePublicKey, parseCommandPayload, toBase64,
  COMMAND_PAYLOAD_TYPE, COMMAND_TYPE,
} from '@palisade/protocol'
import { RogueGateway } from './attacks/rogue-gateway.js'
import { freePort } from './free-port.js'
import { setupOrg, PASSPHRASE, type Org } from './org-setup.js'
import { ok, Proc, until } from './proc.js'

const AGENTS = 50
const SIM_STDOUT = '[palisade sim: not executed]\n'

describe('palisade sim: 50 simulated agents against a real server', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-sim-e2e-'))
  const stateDir = join(dir, 'sim-state')
  let server: Proc
  let org: Org
  let url = ''
  let sim: Proc | undefined
  let gw: RogueGateway | undefined

  const api = async (path: string): Promise<any> => {
    const r = await fetch(url + path, { headers: { authorization: `Bearer ${org.apiKey}` } })
    assert.equal(r.status, 200, `${path}: ${r.status}`)
    return r.json()
  }
  const devices = async (): Promise<{ id: string; online: boolean }[]> => (await api('/v1/orgs/acme/devices')).devices
  const startSim = (args: string[]): Proc =>
    new Proc(['--json', 'sim', '--agents', String(AGENTS), '--workers', '2', '--state-dir', stateDir, '--status-every', '1s', ...args], {}, 'sim')
  /** Stops the simulator with SIGTERM and returns its final JSON document. */
  const stopSim = async (p: Proc): Promise<any> => {
    const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)))
    p.child.kill('SIGTERM')
    assert.equal(await exited, 0, p.output)
    const line = p.output.split('\n').find((l) => l.startsWith('{"simulated":true'))
    assert.ok(line, `no final document in:\n${p.output.slice(-2000)}`)
    return JSON.parse(line)
  }

  before(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], { PALISADE_LOG_LEVEL: 'warn' }, 'server')
    const setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    org = await setupOrg(dir, url, setupCode)
  })

  after(async () => {
    if (sim !== undefined && sim.child.exitCode === null) await sim.stop()
    await gw?.stop()
    await Promise.all([server?.stop(), org?.witness.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('enrolls 50 agents in two workers, all connect, and says loudly that scripts are not executed', async () => {
    const token = JSON.parse(await ok(['--json', 'token', 'create', '--uses', String(AGENTS)], org.home('alice'))).token as string
    sim = startSim(['--server', url, '--token', token, '--fingerprint', org.fingerprint])
    await sim.waitFor(/Scripts are NOT executed/)
    await until(async () => {
      const d = await devices()
      return d.length === AGENTS && d.every((x) => x.online)
    }, 60_000, '50 simulated agents online')
    await sim.waitFor(/"connected":50,/, 20_000)
  })

  it('completes a 2-of-3 quorum-signed command on all 50, every result marked as simulated', async () => {
    const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', 'all', '--script', 'echo this must not run'], org.home('alice')))
    await ok(['command', 'sign', c.id, '--key', 'alice', '--yes'], org.home('alice'))
    await ok(['command', 'sign', c.id, '--key', 'bob', '--yes'], org.home('bob'))
    const done = JSON.parse(await ok(['--json', 'command', 'status', c.id, '--wait', '--timeout', '60s'], org.home('carol')))
    assert.equal(done.results.length, AGENTS)
    for (const r of done.results) {
      assert.equal(r.status, 'completed')
      assert.equal(r.exitCode, 0)
      assert.equal(r.stdout, SIM_STDOUT)
      assert.equal(r.stderr, '')
    }
    assert.equal(new Set(done.results.map((r: { deviceId: string }) => r.deviceId)).size, AGENTS)
    const final = await stopSim(sim!)
    assert.equal(final.scriptsExecuted, false)
    assert.equal(final.enrolled, AGENTS)
    assert.equal(final.verified, AGENTS)
    assert.equal(final.resultsAcked, AGENTS)
    assert.equal(final.rejections, 0)
    // Saved as the real agent saves it: the command is remembered with its log index.
    const trust = decodeTrustState(JSON.parse(readFileSync(join(stateDir, 'agents', '000000.json'), 'utf8')).trust)
    assert.ok(Object.hasOwn(trust.executed, c.id))
    assert.equal(typeof done.logIndex, 'number')
    assert.equal(trust.lastIndex, done.logIndex)
  })

  it('reconnects the same 50 devices from --state-dir, enrolling none', async () => {
    const before = (await devices()).map((d) => d.id).sort()
    await until(async () => (await devices()).every((d) => !d.online), 20_000, 'all offline after the stop')
    sim = startSim(['--server', url]) // no token: nothing may enroll
    await until(async () => (await devices()).every((d) => d.online), 60_000, 'the same agents online again')
    assert.deepEqual((await devices()).map((d) => d.id).sort(), before)
    const final = await stopSim(sim)
    assert.equal(final.loaded, AGENTS)
    assert.equal(final.enrolled, 0)
  })

  it('refuses a forged delivery from a rogue gateway with PROTO_SIG_THRESHOLD, signed by the device key', async () => {
    const saved = JSON.parse(readFileSync(join(stateDir, 'agents', '000000.json'), 'utf8'))
    gw = await new RogueGateway().start()
    gw.knowDevice({ id: saved.deviceId, publicKey: nodePublicKey(fromBase64(saved.seed)) })
    sim = new Proc(['--json', 'sim', '--agents', '1', '--state-dir', stateDir, '--server', gw.url, '--status-every', '1s'], {}, 'sim-rogue')
    await gw.waitFor((e) => e.type === 'hello' && e.ok, 30_000)
    // The breached server holds one stolen admin key (alice's): one signature of the two the root requires.
    const alice = await unlockKey(join(dir, 'home-alice'), 'alice', PASSPHRASE.PALISADE_PASSPHRASE)
    const now = Math.floor(Date.now() / 1000)
    const payload = formatCommandPayload(parseCommandPayload(canonicalJsonBytes({
      type: COMMAND_TYPE, org: 'acme', id: 'forged-1', script: 'echo pwned', interpreter: 'sh', timeoutSeconds: 30, runAs: 'root',
      targets: { kind: 'all' }, notBefore: now - 60, notAfter: now + 3600, nonce: toBase64(new Uint8Array(16).fill(7)),
    })))
    const env = await dsse.signEnvelope(COMMAND_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(keyId(alice.publicKey), alice.seed)])
    const note = (await api('/v1/orgs/acme/log/checkpoint')).note as string
    const delivery = { envelope: dsse.formatEnvelope(env), leafIndex: 0, inclusionProof: [], checkpoint: note, consistencyProof: [], rootUpdates: [] }
    const since = gw.events.length
    await gw.send({ type: 'delivery', commandId: 'forged-1', delivery: formatDelivery(delivery) })
    const e = await gw.waitFor((x) => x.type === 'report', 20_000, since)
    assert.ok(e.type === 'report')
    assert.equal(e.report.kind, 'rejection')
    assert.equal(e.report.code, 'PROTO_SIG_THRESHOLD')
    assert.equal(e.report.commandId, 'forged-1')
    assert.equal(e.report.verified, true, 'the rejection is signed by the device key')
    const final = await stopSim(sim)
    assert.equal(final.rejections, 1)
    assert.equal(final.verified, 0)
  })
})
