// Device reports over real HTTP on 127.0.0.1 with a real data directory:
// intake, every malformed field named, size and rate limits, per-device
// and distinct-id quotas, paging, durability across a restart (and a torn
// last line), and the witness's newest checkpoint for monitors. The byte
// budget and pruning are in report-budget.test.ts. Last, a rejection code
// the witness does not know (forward compatibility).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { access, appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canonicalJsonBytes, checkpoint, cosignature, dsse, note, openDeviceReport, REJECTION_PAYLOAD_TYPE, toBase64, utf8 } from '@palisade/protocol'
import { addWitnessedLog, isWitnessError, startWitness, type RunningWitness } from '../index.js'
import { reportsPath, dataPaths } from '../store/data-dir.js'
import { addCheckpoint, postReport, rejectionEnvelope, TestLog, testKey } from '../test-log.test.helper.js'

const device = testKey('device d1')

interface Page {
  origin: string
  reports: { seq: number; receivedAt: string; deviceId: string; envelope: string }[]
  next: number
}

describe('witness report intake', () => {
  let dir: string
  let w: RunningWitness
  let log: TestLog
  let envelope: string
  const start = (extra: Partial<Parameters<typeof startWitness>[0]> = {}) =>
    startWitness({ listen: '127.0.0.1:0', dataDir: dir, name: 'witness.test', logger: false, ...extra })
  const page = async (query: string): Promise<{ status: number; body: string; json?: Page }> => {
    const res = await fetch(`${w.url}/palisade/v1/reports?${query}`)
    const body = await res.text()
    return { status: res.status, body, ...(res.ok ? { json: JSON.parse(body) as Page } : {}) }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-witness-reports-'))
    log = (await TestLog.create('palisade/acme')).grow(3)
    await addWitnessedLog(dir, log.vkey)
    envelope = await rejectionEnvelope(device, 'd1')
    w = await start()
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts a device-signed rejection with 202 and increasing seqs, and stores it with its source address', async () => {
    const first = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })
    assert.equal(first.status, 202, first.body)
    assert.deepEqual(JSON.parse(first.body), { seq: 1 })
    const second = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })
    assert.deepEqual(JSON.parse(second.body), { seq: 2 })
    const lines = (await readFile(reportsPath(dataPaths(dir), log.origin), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(lines.length, 2)
    assert.deepEqual(Object.keys(lines[0]).sort(), ['deviceId', 'envelope', 'origin', 'receivedAt', 'seq', 'source'])
    assert.equal(lines[0].source, '127.0.0.1')
    assert.equal(lines[1].envelope, envelope)
  })

  it('refuses malformed bodies with 400 WIT_REPORT_INVALID naming the field, and stores nothing', async () => {
    const env = dsse.parseEnvelope(envelope)
    const other = dsse.formatEnvelope({ ...env, payloadType: 'application/vnd.palisade.result+json' })
    const badPayload = dsse.formatEnvelope({ ...env, payload: utf8('{"type":"palisade.rejection/v1"}') })
    const unsigned = dsse.formatEnvelope({ ...env, signatures: [] })
    const cases: [unknown, string][] = [
      ['not json', 'body'],
      [[1, 2], 'body'],
      [{ deviceId: 'd1', envelope }, '/origin'],
      [{ origin: log.origin, deviceId: 'no spaces allowed', envelope }, '/deviceId'],
      [{ origin: log.origin, deviceId: 'd1', envelope: { payload: 'x' } }, '/envelope'],
      [{ origin: log.origin, deviceId: 'd1', envelope: '{"payload":"%%%"}' }, '/envelope'],
      [{ origin: log.origin, deviceId: 'd1', envelope: other }, '/envelope/payloadType'],
      [{ origin: log.origin, deviceId: 'd1', envelope: badPayload }, '/envelope/payload'],
      [{ origin: log.origin, deviceId: 'd1', envelope: unsigned }, '/envelope/signatures'],
      [{ origin: log.origin, deviceId: 'd2', envelope }, '/deviceId'],
      [{ origin: log.origin, deviceId: 'd1', envelope, extra: 1 }, '/extra'],
    ]
    for (const [body, field] of cases) {
      const r = await postReport(w.url, body)
      assert.equal(r.status, 400, `${field}: ${r.body}`)
      assert.ok(r.body.startsWith(`WIT_REPORT_INVALID: ${field}:`), `${field}: ${r.body}`)
    }
    assert.equal((await page(`origin=${encodeURIComponent(log.origin)}`)).json!.reports.length, 2)
  })

  it('answers 404 for an origin it does not witness, and 413 for a body over 64 KiB', async () => {
    const unknown = await postReport(w.url, { origin: 'palisade/other', deviceId: 'd1', envelope })
    assert.equal(unknown.status, 404)
    assert.match(unknown.body, /^WIT_LOG_UNKNOWN: /)
    const big = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: envelope + ' '.repeat(65 * 1024) })
    assert.equal(big.status, 413)
    assert.match(big.body, /^WIT_BODY_TOO_LARGE: /)
    assert.equal((await page('origin=palisade%2Fother')).status, 404)
  })

  it('pages reports in order by seq, and refuses invalid queries', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })).status, 202)
    const o = `origin=${encodeURIComponent(log.origin)}`
    const p1 = (await page(`${o}&limit=2`)).json!
    assert.deepEqual(p1.reports.map((r) => r.seq), [1, 2])
    assert.equal(p1.next, 2)
    assert.equal(p1.reports[0]!.envelope, envelope)
    assert.equal(p1.reports[0]!.deviceId, 'd1')
    assert.ok(!('source' in p1.reports[0]!), 'the sender address is not served')
    const p2 = (await page(`${o}&after=2&limit=2`)).json!
    assert.deepEqual(p2.reports.map((r) => r.seq), [3, 4])
    const p3 = (await page(`${o}&after=4`)).json!
    assert.deepEqual(p3.reports.map((r) => r.seq), [5])
    const p4 = (await page(`${o}&after=5`)).json!
    assert.deepEqual([p4.reports.length, p4.next], [0, 5])
    for (const q of ['', `${o}&after=-1`, `${o}&after=01`, `${o}&limit=0`, `${o}&limit=1001`, `${o}&after=x`]) {
      const r = await page(q)
      assert.equal(r.status, 400, q)
      assert.match(r.body, /^WIT_QUERY_INVALID: /)
    }
  })

  it('serves the newest checkpoint it cosigned: 404 before the first, then the note with its cosignature', async () => {
    const url = `${w.url}/palisade/v1/checkpoint?origin=${encodeURIComponent(log.origin)}`
    const none = await fetch(url)
    assert.equal(none.status, 404)
    assert.match(await none.text(), /^WIT_NO_CHECKPOINT: /)
    assert.equal((await addCheckpoint(w.url, await log.request(0, 3))).status, 200)
    const res = await fetch(url)
    assert.equal(res.status, 200)
    const text = await res.text()
    const opened = checkpoint.openCosignedCheckpoint(text, {
      origin: log.origin,
      logVerifier: note.verifierFromString(log.vkey),
      witnesses: [cosignature.witnessVerifierFromString(w.verifierKey)],
      quorum: 1,
    })
    assert.equal(opened.checkpoint.size, 3)
    assert.equal(toBase64(opened.checkpoint.rootHash), toBase64(log.root(3)))
    assert.equal((await fetch(`${w.url}/palisade/v1/checkpoint`)).status, 400)
  })

  it('keeps reports and their numbering across a restart, cutting off a line torn by a crash', async () => {
    await w.close()
    await appendFile(reportsPath(dataPaths(dir), log.origin), '{"seq":6,"receivedAt":"torn') // a crash mid-write
    w = await start()
    const o = `origin=${encodeURIComponent(log.origin)}`
    assert.deepEqual((await page(o)).json!.reports.map((r) => r.seq), [1, 2, 3, 4, 5])
    assert.deepEqual(JSON.parse((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })).body), { seq: 6 })
    const lines = (await readFile(reportsPath(dataPaths(dir), log.origin), 'utf8')).trim().split('\n')
    assert.equal(lines.length, 6)
    assert.equal(JSON.parse(lines[5]!).seq, 6)
  })

  it('limits reports per device id with 429 WIT_RATE_LIMITED and a Retry-After of one refill, other devices unaffected', async () => {
    await w.close()
    w = await start({ reportDeviceRateLimit: { burst: 3, perSecond: 1 / 60 } })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })).status)
    assert.deepEqual(statuses, [202, 202, 202])
    const res = await fetch(`${w.url}/palisade/v1/reports`, { method: 'POST', body: JSON.stringify({ origin: log.origin, deviceId: 'd1', envelope }) })
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), '60')
    assert.match(await res.text(), /^WIT_RATE_LIMITED: too many reports for device "d1"/)
    const other = await postReport(w.url, { origin: log.origin, deviceId: 'd2', envelope: await rejectionEnvelope(device, 'd2') })
    assert.equal(other.status, 202, other.body)
  })

  it('limits the distinct device ids one address reports for within an hour, still taking ids it already counted', async () => {
    await w.close()
    w = await start({ reportDevicesPerAddress: 3 })
    for (const id of ['d1', 'd2', 'd3']) {
      const r = await postReport(w.url, { origin: log.origin, deviceId: id, envelope: await rejectionEnvelope(device, id) })
      assert.equal(r.status, 202, `${id}: ${r.body}`)
    }
    const res = await fetch(`${w.url}/palisade/v1/reports`, {
      method: 'POST',
      body: JSON.stringify({ origin: log.origin, deviceId: 'd4', envelope: await rejectionEnvelope(device, 'd4') }),
    })
    assert.equal(res.status, 429)
    const retry = Number(res.headers.get('retry-after'))
    assert.ok(retry > 3500 && retry <= 3600, `retry-after ${retry}`)
    assert.match(await res.text(), /^WIT_RATE_LIMITED: 127\.0\.0\.1 sent reports for 3 device ids within the hour/)
    assert.equal((await postReport(w.url, { origin: log.origin, deviceId: 'd2', envelope: await rejectionEnvelope(device, 'd2') })).status, 202)
    const served = (await page(`origin=${encodeURIComponent(log.origin)}&after=10&limit=1000`)).json!.reports
    assert.ok(!served.some((r) => r.deviceId === 'd4'), 'the refused report is not stored')
  })

  it('refuses invalid quota and budget options with WIT_CONFIG naming the option, before touching the data directory', async () => {
    const cases: [Partial<Parameters<typeof startWitness>[0]>, RegExp][] = [
      [{ reportStoreBytes: 1000 }, /^reportStoreBytes: /],
      [{ reportStoreBytes: 1.5 * 1024 * 1024 + 0.5 }, /^reportStoreBytes: /],
      [{ reportDeviceRateLimit: { burst: 0, perSecond: 1 } }, /^reportDeviceRateLimit\.burst: /],
      [{ reportDeviceRateLimit: { burst: 1, perSecond: Number.NaN } }, /^reportDeviceRateLimit\.perSecond: /],
      [{ reportDevicesPerAddress: 0 }, /^reportDevicesPerAddress: /],
      [{ reportRateLimit: { burst: 5, perSecond: -1 } }, /^reportRateLimit\.perSecond: /],
    ]
    for (const [options, message] of cases) {
      await assert.rejects(start({ ...options, dataDir: join(dir, 'never-made') }), (e: unknown) => isWitnessError(e, 'WIT_CONFIG') && message.test((e as Error).message))
    }
    await assert.rejects(access(join(dir, 'never-made')))
  })

  it('rate-limits reports per source address with 429 WIT_RATE_LIMITED', async () => {
    await w.close()
    w = await start({ reportRateLimit: { burst: 3, perSecond: 0.01 } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })).status)
    assert.deepEqual(statuses, [202, 202, 202, 429, 429])
    const res = await fetch(`${w.url}/palisade/v1/reports`, { method: 'POST', body: JSON.stringify({ origin: log.origin, deviceId: 'd1', envelope }) })
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), '10')
    assert.match(await res.text(), /^WIT_RATE_LIMITED: /)
  })
})

// Rejection codes are forward-compatible (protocol ERRORS.md): an agent
// upgraded before its witnesses sends codes they do not know, and the
// witness must keep them as evidence (G6) rather than answer 400.
describe('witness report intake, with a rejection code the witness does not know', () => {
  let dir: string
  let w: RunningWitness
  let log: TestLog
  /** A device-signed rejection with `code`, signed as a newer agent would (without this version's formatReport). */
  const signedWithCode = async (code: string): Promise<string> => {
    const payload = canonicalJsonBytes({ type: 'palisade.rejection/v1', org: 'acme', deviceId: 'd1', commandId: 'c1', code, message: 'from a newer agent', at: Date.now() })
    return dsse.formatEnvelope(await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, payload, [dsse.ed25519Signer(device.id, device.seed)]))
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-witness-codes-'))
    log = (await TestLog.create('palisade/acme')).grow(3)
    await addWitnessedLog(dir, log.vkey)
    w = await startWitness({ listen: '127.0.0.1:0', dataDir: dir, name: 'witness.test', logger: false })
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts a well-formed unknown code with 202, stores it and serves it back as it is', async () => {
    const envelope = await signedWithCode('PROTO_FUTURE_THING')
    const r = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope })
    assert.equal(r.status, 202, r.body)
    const res = await fetch(`${w.url}/palisade/v1/reports?origin=${encodeURIComponent(log.origin)}`)
    const served = ((await res.json()) as Page).reports
    assert.equal(served.length, 1)
    assert.equal(served[0]!.envelope, envelope)
    assert.equal(openDeviceReport(served[0]!.envelope).code, 'PROTO_FUTURE_THING')
  })

  it('still refuses a malformed code with 400 WIT_REPORT_INVALID at /envelope/payload', async () => {
    for (const code of ['proto_future_thing', 'SRV_GATEWAY_REPORT_SIGNATURE', `PROTO_${'A'.repeat(59)}`]) {
      const r = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: await signedWithCode(code) })
      assert.equal(r.status, 400, `${code}: ${r.body}`)
      assert.ok(r.body.startsWith('WIT_REPORT_INVALID: /envelope/payload:'), `${code}: ${r.body}`)
    }
  })
})
