import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toBase64 } from '@palisade/protocol'
import { createTestOrg, post, testKey, type TestOrg } from '../commands/org.test.helper.js'
import { TEST_DATABASE } from '../db/test-database.test.helper.js'
import { RETRY_WINDOW_MS } from './enroll-route.js'
import { hashEnrollmentToken } from './enrollment-token.js'

async function token(o: TestOrg, body: Record<string, unknown> = {}): Promise<string> {
  return String((await post(o.app, `/v1/orgs/${o.org}/enrollment-tokens`, body, 201, o.auth))['token'])
}

function enroll(o: TestOrg, tokenText: string, over: Record<string, unknown> = {}) {
  return o.app.inject({
    method: 'POST',
    url: '/v1/enroll',
    payload: { token: tokenText, publicKey: toBase64(testKey('d').pub), hostname: 'laptop-1', ...over },
  })
}

describe('POST /v1/orgs/:org/enrollment-tokens', () => {
  it('returns a 43-character token, its expiry, the root v1 fingerprint and the install command; stores only the hash', async (t) => {
    const o = await createTestOrg(t)
    const before = Date.now()
    const res = await post(o.app, `/v1/orgs/${o.org}/enrollment-tokens`, { ttlSeconds: 600, uses: 3 }, 201, o.auth)
    assert.match(res['token'], /^[A-Za-z0-9_-]{43}$/)
    assert.ok(res['expiresAt'] >= before + 600_000 && res['expiresAt'] <= Date.now() + 600_000)
    assert.equal(res['fingerprint'], o.fingerprint)
    assert.equal(
      res['installCommand'],
      `palisade agent enroll --server http://127.0.0.1:8080 --token ${res['token']} --fingerprint ${o.fingerprint}`,
    )
    const row = await o.db.selectFrom('enrollment_tokens').selectAll().executeTakeFirstOrThrow()
    assert.equal(row.token_hash, hashEnrollmentToken(res['token']))
    assert.equal(row.uses_left, 3)
    assert.ok(!JSON.stringify(row).includes(res['token']))
    assert.ok(!o.lines.join('\n').includes(res['token']), 'the token is never logged')
  })

  it('refuses a request without an API key (401) and out-of-range ttl or uses (400, naming the field)', async (t) => {
    const o = await createTestOrg(t)
    const anon = await o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/enrollment-tokens`, payload: {} })
    assert.equal(anon.statusCode, 401)
    const bad = await o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/enrollment-tokens`, payload: { ttlSeconds: 10, uses: 0 }, headers: o.auth })
    assert.equal(bad.statusCode, 400)
    assert.deepEqual(bad.json().errors.map((e: { path: string }) => e.path).sort(), ['/body/ttlSeconds', '/body/uses'])
  })

  it('answers 404 for another org, as for one that does not exist', async (t) => {
    const o = await createTestOrg(t)
    const res = await o.app.inject({ method: 'POST', url: '/v1/orgs/other/enrollment-tokens', payload: {}, headers: o.auth })
    assert.equal(res.statusCode, 404)
  })
})

describe('POST /v1/enroll', () => {
  it('creates a dev-… device in the token\'s org and returns the root chain', async (t) => {
    const o = await createTestOrg(t)
    const key = testKey('laptop')
    const res = await enroll(o, await token(o), { publicKey: toBase64(key.pub), inventory: { os: { prettyName: 'Debian 12' } } })
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.match(body.deviceId, /^dev-[0-9a-f]{20}$/)
    assert.equal(body.org, o.org)
    assert.deepEqual(body.roots, o.rootEnvelopes)
    const device = await o.db.selectFrom('devices').selectAll().where('id', '=', body.deviceId).executeTakeFirstOrThrow()
    assert.deepEqual([device.org_id, device.public_key, device.hostname, device.os], [o.org, toBase64(key.pub), 'laptop-1', 'Debian 12'])
  })

  it('refuses a one-use token the second time, with the same 401 as an unknown, malformed or expired token', async (t) => {
    const o = await createTestOrg(t)
    const once = await token(o)
    assert.equal((await enroll(o, once)).statusCode, 201)
    const again = await enroll(o, once)
    const unknown = await enroll(o, 'A'.repeat(43))
    const malformed = await enroll(o, 'not a token')
    const expiring = await token(o)
    await o.db.updateTable('enrollment_tokens').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', hashEnrollmentToken(expiring)).execute()
    const expired = await enroll(o, expiring)
    for (const res of [again, unknown, malformed, expired]) {
      assert.equal(res.statusCode, 401)
      assert.equal(res.json().code, 'SRV_UNAUTHENTICATED')
      assert.equal(res.json().detail, 'the enrollment token is not valid')
    }
  })

  it('enrolls exactly one device when many requests race for a one-use token', async (t) => {
    const o = await createTestOrg(t)
    const once = await token(o)
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => enroll(o, once, { hostname: `racer-${i}` })))
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, ...Array(11).fill(401)])
    const devices = await o.db.selectFrom('devices').select('id').execute()
    assert.equal(devices.length, 1)
  })

  it('counts down an n-use token and stops at zero', async (t) => {
    const o = await createTestOrg(t)
    const three = await token(o, { uses: 3 })
    const codes = []
    for (let i = 0; i < 4; i++) codes.push((await enroll(o, three, { hostname: `h${i}` })).statusCode)
    assert.deepEqual(codes, [201, 201, 201, 401])
  })

  it('refuses a public key that is not 32 bytes of base64 and a bad hostname, naming each field, without using the token', async (t) => {
    const o = await createTestOrg(t)
    const once = await token(o)
    const short = await enroll(o, once, { publicKey: toBase64(new Uint8Array(31)) })
    assert.equal(short.statusCode, 400)
    assert.deepEqual(short.json().errors, [{ path: '/body/publicKey', message: 'must be a base64 Ed25519 public key (32 bytes)' }])
    const urlSafe = await enroll(o, once, { publicKey: '-'.repeat(43) + '=' })
    assert.equal(urlSafe.statusCode, 400)
    const host = await enroll(o, once, { hostname: 'bad host\n' })
    assert.equal(host.statusCode, 400)
    assert.equal(host.json().errors[0].path, '/body/hostname')
    assert.equal((await enroll(o, once)).statusCode, 201, 'the token was not used by the refused requests')
  })

  it('refuses a key that is already enrolled (409) and gives the token use back', async (t) => {
    const o = await createTestOrg(t)
    const key = toBase64(testKey('k').pub)
    const first = await token(o, { uses: 2 })
    assert.equal((await enroll(o, first, { publicKey: key })).statusCode, 201)
    const other = await token(o, { uses: 2 })
    const withOtherToken = await enroll(o, other, { publicKey: key })
    assert.equal(withOtherToken.statusCode, 409)
    const asOtherHost = await enroll(o, first, { publicKey: key, hostname: 'laptop-2' })
    assert.equal(asOtherHost.statusCode, 409)
    const rows = await o.db.selectFrom('enrollment_tokens').select(['token_hash', 'uses_left']).execute()
    const usesLeft = (tok: string) => rows.find((r) => r.token_hash === hashEnrollmentToken(tok))!.uses_left
    assert.equal(usesLeft(first), 1)
    assert.equal(usesLeft(other), 2)
  })

  it('answers a retry (same key, token and hostname) with the device it enrolled, without using the token again', async (t) => {
    const o = await createTestOrg(t)
    const key = toBase64(testKey('retry').pub)
    const once = await token(o)
    const first = await enroll(o, once, { publicKey: key })
    assert.equal(first.statusCode, 201)
    // The answer was lost; the agent sends the same request again, after the one-use token is used up.
    const again = await enroll(o, once, { publicKey: key })
    assert.equal(again.statusCode, 201)
    assert.deepEqual(again.json(), first.json())
    const devices = await o.db.selectFrom('devices').select(['id', 'enrolled_with']).where('public_key', '=', key).execute()
    assert.equal(devices.length, 1)
    const tok = await o.db.selectFrom('enrollment_tokens').select(['id', 'uses_left']).executeTakeFirstOrThrow()
    assert.equal(devices[0]!.enrolled_with, tok.id)
    assert.equal(tok.uses_left, 0)
    const events = await o.db.selectFrom('audit_events').select(['target_id', 'details', 'status_code']).where('action', '=', 'device.enroll').orderBy('created_at').execute()
    // Sorted by the flag: both may carry the same millisecond.
    assert.deepEqual(events.map((e) => [e.target_id, e.status_code, JSON.parse(e.details).retry ?? false]).sort((x, y) => Number(x[2]) - Number(y[2])), [
      [first.json().deviceId, 201, false],
      [first.json().deviceId, 201, true],
    ])
    // Another key still cannot use the token, and once the token has expired a retry is refused like any bad token.
    assert.equal((await enroll(o, once, { publicKey: toBase64(testKey('other').pub) })).statusCode, 401)
    await o.db.updateTable('enrollment_tokens').set({ expires_at: Date.now() - 1 }).execute()
    const late = await enroll(o, once, { publicKey: key })
    assert.equal(late.statusCode, 401)
  })

  it('answers no retry for a device that already connected, or that enrolled longer ago than the retry window', async (t) => {
    const o = await createTestOrg(t)
    const two = await token(o, { uses: 3 })
    const connected = toBase64(testKey('connected').pub)
    const first = await enroll(o, two, { publicKey: connected })
    assert.equal(first.statusCode, 201)
    // Its hello sets last_seen_at: it got its answer, so a "retry" is someone else.
    await o.db.updateTable('devices').set({ last_seen_at: Date.now() }).where('id', '=', first.json().deviceId).execute()
    assert.equal((await enroll(o, two, { publicKey: connected })).statusCode, 409)
    const old = toBase64(testKey('old').pub)
    const second = await enroll(o, two, { publicKey: old })
    assert.equal(second.statusCode, 201)
    await o.db.updateTable('devices').set({ enrolled_at: Date.now() - RETRY_WINDOW_MS - 1000 }).where('id', '=', second.json().deviceId).execute()
    assert.equal((await enroll(o, two, { publicKey: old })).statusCode, 409)
    const row = await o.db.selectFrom('enrollment_tokens').select('uses_left').executeTakeFirstOrThrow()
    assert.equal(row.uses_left, 1, 'the refused retries used nothing')
  })

  // The slow first try still open when the agent's retry arrives: the retry
  // must wait for it and answer its device, not 401 (the one-use token is
  // used up by then). Forced with a transaction held open on a second
  // connection; PostgreSQL only, since SQLite runs one transaction at a time.
  it('answers a retry that overlaps its first try with the device the first try enrolls (PostgreSQL)', { skip: TEST_DATABASE === 'postgres' ? false : 'PostgreSQL only: SQLite runs one transaction at a time' }, async (t) => {
    const o = await createTestOrg(t)
    const once = await token(o)
    const key = toBase64(testKey('overlap').pub)
    const tok = await o.db.selectFrom('enrollment_tokens').select(['id', 'org_id']).executeTakeFirstOrThrow()
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    let locked!: () => void
    const lockTaken = new Promise<void>((r) => (locked = r))
    // The first try, as the route runs it: the token's row locked, used, the device inserted; its commit held back.
    const firstTry = o.db.transaction().execute(async (trx) => {
      await trx.selectFrom('enrollment_tokens').select('id').where('id', '=', tok.id).forUpdate().execute()
      locked()
      await trx.updateTable('enrollment_tokens').set({ uses_left: 0 }).where('id', '=', tok.id).execute()
      await trx.insertInto('devices').values({ id: 'dev-firsttry', org_id: tok.org_id, public_key: key, hostname: 'laptop-1', enrolled_at: Date.now(), enrolled_with: tok.id }).execute()
      await released
    })
    await lockTaken
    const retry = enroll(o, once, { publicKey: key })
    await new Promise((r) => setTimeout(r, 300)) // the retry reaches the lock and waits
    release()
    await firstTry
    const res = await retry
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(res.json().deviceId, 'dev-firsttry')
  })

  it('refuses unknown fields, an inventory over 1 MiB (400, naming each) and a body beyond its limit (413)', async (t) => {
    const o = await createTestOrg(t)
    const once = await token(o)
    const unknown = await enroll(o, once, { extra: 1 })
    assert.equal(unknown.statusCode, 400)
    assert.equal(unknown.json().errors[0].path, '/body/extra')
    const big = await enroll(o, once, { inventory: { blob: 'x'.repeat(1024 * 1024) } })
    assert.deepEqual([big.statusCode, big.json().errors], [400, [{ path: '/body/inventory', message: 'is larger than 1 MiB' }]])
    const huge = await enroll(o, once, { inventory: { blob: 'x'.repeat(2 * 1024 * 1024) } })
    assert.equal(huge.statusCode, 413)
    const fits = await enroll(o, once, { inventory: { blob: 'x'.repeat(1024 * 1024 - 100) } })
    assert.equal(fits.statusCode, 201)
  })
})
