import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeTrustState, fromBase64, nodePublicKey } from '@palisade/protocol'
import { enroll } from './enroll.js'
import { agentStatus } from './status.js'
import { TestGateway } from './testing/gateway.test.helper.js'
import { TestOrg } from './testing/org.test.helper.js'

let root: string
let gw: TestGateway
let other: TestOrg
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'palisade-enroll-'))
  gw = await new TestGateway(await new TestOrg('acme').init()).start()
  other = await new TestOrg('evil').init()
})
after(async () => {
  await gw.stop()
  await rm(root, { recursive: true, force: true })
})

const opts = (stateDir: string) => ({ server: gw.url, token: gw.token, fingerprint: gw.org.fingerprint, stateDir, inventory: null })

describe('enroll', () => {
  it('registers a fresh device key and writes a private, verified state', async () => {
    const dir = join(root, 'ok')
    const e = await enroll({ ...opts(dir), inventory: undefined })
    const seen = await gw.waitFor((ev) => ev.type === 'enroll' && ev.deviceId === e.deviceId)
    assert.equal(seen.type, 'enroll')
    const body = (seen as { body: Record<string, unknown> }).body
    assert.equal(body['publicKey'], e.publicKey)
    assert.equal(typeof body['hostname'], 'string')
    assert.equal(typeof (body['inventory'] as { collectedAt?: unknown }).collectedAt, 'string')

    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    for (const f of ['device.json', 'device.key', 'trust-state.json']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f)
    const record = JSON.parse(await readFile(join(dir, 'device.json'), 'utf8')) as Record<string, unknown>
    assert.deepEqual(record, { deviceId: e.deviceId, org: 'acme', server: gw.url, publicKey: e.publicKey, fingerprint: gw.org.fingerprint })
    const seed = new Uint8Array(await readFile(join(dir, 'device.key')))
    assert.equal(seed.length, 32)
    assert.deepEqual(nodePublicKey(seed), fromBase64(e.publicKey, 'pub'))
    const trust = decodeTrustState(JSON.parse(await readFile(join(dir, 'trust-state.json'), 'utf8')))
    assert.equal(trust.pinned, gw.org.fingerprint)
    assert.equal(trust.checkpoint, null)

    const status = await agentStatus(dir)
    assert.equal(status.deviceId, e.deviceId)
    assert.equal(status.rootVersion, 1)
    assert.equal(status.spooledResults + status.spooledRejections + status.executed, 0)
  })

  it('refuses to enroll over an enrolled device, and contacts no server', async () => {
    const dir = join(root, 'twice')
    await enroll(opts(dir))
    const before = await readFile(join(dir, 'device.json'), 'utf8')
    const count = gw.events.length
    await assert.rejects(enroll(opts(dir)), { code: 'AGENT_ALREADY_ENROLLED' })
    assert.equal(gw.events.length, count)
    assert.equal(await readFile(join(dir, 'device.json'), 'utf8'), before)
  })

  describe('when the server returns a root that does not match the pinned fingerprint', () => {
    it('refuses with AGENT_ROOT_UNTRUSTED and writes nothing, not even the directory', async () => {
      const dir = join(root, 'mitm')
      gw.enrollRoots = other.rootEnvelopes
      try {
        await assert.rejects(enroll(opts(dir)), (e: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(e.code, 'AGENT_ROOT_UNTRUSTED')
          assert.equal(e.details?.['protocolCode'], 'PROTO_ROOT_FINGERPRINT')
          assert.match(e.message, /nothing was written/)
          assert.ok(e.message.includes(gw.url))
          return true
        })
      } finally {
        gw.enrollRoots = undefined
      }
      await assert.rejects(stat(dir), { code: 'ENOENT' })
    })

    it('leaves an existing empty directory empty', async () => {
      const dir = join(root, 'mitm-existing')
      await mkdir(dir)
      gw.enrollRoots = [...other.rootEnvelopes]
      try {
        await assert.rejects(enroll(opts(dir)), { code: 'AGENT_ROOT_UNTRUSTED' })
      } finally {
        gw.enrollRoots = undefined
      }
      assert.deepEqual(await readdir(dir), [])
    })
  })

  it('names the server and never prints the token when the server refuses it', async () => {
    const bad = 'tok_wrong_secret_value'
    await assert.rejects(enroll({ ...opts(join(root, 'refused')), token: bad }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AGENT_ENROLL_REFUSED')
      assert.ok(e.message.includes(gw.url), e.message)
      assert.match(e.message, /HTTP 403, SRV_ENROLL_TOKEN_INVALID/)
      assert.ok(!e.message.includes(bad), e.message)
      assert.ok(!JSON.stringify(e).includes(bad))
      return true
    })
    await assert.rejects(stat(join(root, 'refused')), { code: 'ENOENT' })
  })

  it('tries again with the same key when the answer is lost, and keeps the device the server enrolled', async () => {
    const before = gw.events.length
    gw.loseEnrollAnswers = 1
    const e = await enroll(opts(join(root, 'lost-answer')))
    const tries = gw.events.slice(before).filter((ev): ev is Extract<typeof ev, { type: 'enroll' }> => ev.type === 'enroll')
    assert.equal(tries.length, 2)
    assert.equal(tries[0]!.body['publicKey'], e.publicKey)
    assert.deepEqual(tries[1]!.body, tries[0]!.body, 'the retry is the same request: key, token, hostname')
    assert.equal(tries[0]!.deviceId, e.deviceId, 'the device of the lost answer, not a second one')
  })

  it('tries again after 503 (at most three tries), and gives up with the server\'s answer', async () => {
    gw.refuseEnrollments = 2
    const e = await enroll(opts(join(root, 'busy')))
    assert.match(e.deviceId, /^dev-/)
    gw.refuseEnrollments = 3
    await assert.rejects(enroll(opts(join(root, 'too-busy'))), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AGENT_ENROLL_REFUSED')
      assert.match(err.message, /HTTP 503/)
      return true
    })
    assert.equal(gw.refuseEnrollments, 0)
  })

  it('reports an unreachable server clearly', async () => {
    const unused = await new TestGateway(gw.org).start()
    const url = unused.url
    await unused.stop()
    await assert.rejects(enroll({ ...opts(join(root, 'down')), server: url }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AGENT_SERVER_UNREACHABLE')
      assert.equal(e.message, `cannot reach the server at ${url}: connection refused`)
      return true
    })
  })

  it('validates its arguments before anything else', async () => {
    const dir = join(root, 'args')
    await assert.rejects(enroll({ ...opts(dir), server: 'ftp://x' }), { code: 'AGENT_ARG_INVALID' })
    await assert.rejects(enroll({ ...opts(dir), server: 'https://u:p@x' }), { code: 'AGENT_ARG_INVALID' })
    await assert.rejects(enroll({ ...opts(dir), fingerprint: 'abc' }), { code: 'AGENT_ARG_INVALID' })
    await assert.rejects(enroll({ ...opts(dir), token: 'has space' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AGENT_ARG_INVALID')
      assert.ok(!e.message.includes('has space'))
      return true
    })
    await assert.rejects(enroll({ ...opts(dir), stateDir: '' }), { code: 'AGENT_ARG_INVALID' })
    await assert.rejects(stat(dir), { code: 'ENOENT' })
  })

  it('accepts an upper-case fingerprint', async () => {
    const e = await enroll({ ...opts(join(root, 'upper')), fingerprint: gw.org.fingerprint.toUpperCase() })
    assert.equal(e.fingerprint, gw.org.fingerprint)
  })
})
