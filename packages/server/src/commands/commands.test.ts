import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { COMMAND_PAYLOAD_TYPE, ROOT_PAYLOAD_TYPE, canonicalJsonBytes, dsse, fromBase64, fromUtf8, merkleTargets, parseCommandPayload, toBase64 } from '@palisade/protocol'
import {
  approve,
  commandPayload,
  createTestOrg,
  draftCommand,
  enrollDevice,
  post,
  signPayload,
  testKey,
  type TestOrg,
} from './org.test.helper.js'

function create(o: TestOrg, body: unknown) {
  return o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/commands`, payload: body as object, headers: o.auth })
}

function sign(o: TestOrg, id: string, body: unknown) {
  return o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/commands/${id}/signatures`, payload: body as object, headers: o.auth })
}

const paths = (res: { json(): { errors?: { path: string }[] } }) => (res.json().errors ?? []).map((e) => e.path)

describe('POST /v1/orgs/:org/commands', { concurrency: true }, () => {
  it('stores the canonical payload bytes, resolves "all" to the org\'s devices, and answers what to sign', async (t) => {
    const o = await createTestOrg(t)
    const [a, b] = [await enrollDevice(o), await enrollDevice(o)]
    const payload = commandPayload(o.org, { script: 'uptime' })
    const res = await create(o, { payload })
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.deepEqual([body.id, body.status, body.threshold], [payload['id'], 'awaiting-signatures', 2])
    const bytes = fromBase64(body.payload)
    assert.equal(parseCommandPayload(bytes).script, 'uptime')
    assert.equal(fromUtf8(bytes), JSON.stringify(Object.fromEntries(Object.entries(payload).sort(([x], [y]) => (x < y ? -1 : 1)))))
    const row = await o.db.selectFrom('commands').selectAll().executeTakeFirstOrThrow()
    assert.deepEqual(JSON.parse(row.target_ids!), [a.id, b.id].sort())
    assert.equal(row.created_by.length > 0, true)
  })

  it('names the field when protocol refuses the payload', async (t) => {
    const o = await createTestOrg(t)
    const res = await create(o, { payload: commandPayload(o.org, { timeoutSeconds: 0 }) })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'PROTO_MALFORMED')
    assert.match(res.json().detail, /command\.timeoutSeconds/)
    const unknown = await create(o, { payload: { ...commandPayload(o.org), extra: 1 } })
    assert.match(unknown.json().detail, /command has an unknown field "extra"/)
  })

  it('refuses another org, a window longer than the root allows, and a past notAfter, naming each field', async (t) => {
    const o = await createTestOrg(t, { maxCommandValiditySeconds: 600 })
    const now = Math.floor(Date.now() / 1000)
    const org = await create(o, { payload: commandPayload('other', { notBefore: now, notAfter: now + 60 }) })
    assert.deepEqual([org.statusCode, org.json().code, paths(org)], [400, 'SRV_VALIDATION', ['/body/payload/org']])
    const long = await create(o, { payload: commandPayload(o.org, { notBefore: now, notAfter: now + 601 }) })
    assert.deepEqual(paths(long), ['/body/payload/notAfter'])
    assert.match(long.json().errors[0].message, /allows at most 600 s/)
    const past = await create(o, { payload: commandPayload(o.org, { notBefore: now - 100, notAfter: now - 1 }) })
    assert.deepEqual(paths(past), ['/body/payload/notAfter'])
  })

  it('refuses explicit targets that are not devices of this org, naming each one', async (t) => {
    const o = await createTestOrg(t)
    const d = await enrollDevice(o)
    const ids = [d.id, 'dev-nope'].sort()
    const res = await create(o, { payload: commandPayload(o.org, { targets: { kind: 'devices', ids } }) })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(paths(res), [`/body/payload/targets/ids/${ids.indexOf('dev-nope')}`])
    const unsorted = await create(o, { payload: commandPayload(o.org, { targets: { kind: 'devices', ids: [...ids].reverse() } }) })
    assert.equal(unsorted.json().code, 'PROTO_NOT_CANONICAL')
  })

  it('checks merkle targets: targetIds required, commitment must match, devices must exist', async (t) => {
    const o = await createTestOrg(t)
    const [a, b] = [await enrollDevice(o), await enrollDevice(o)]
    const commit = merkleTargets([a.id, b.id])
    if (commit.kind !== 'merkle') throw new Error('unreachable')
    const targets = { kind: 'merkle', root: toBase64(commit.root), count: commit.count }
    const missing = await create(o, { payload: commandPayload(o.org, { targets }) })
    assert.deepEqual(paths(missing), ['/body/targetIds'])
    const wrong = await create(o, { payload: commandPayload(o.org, { targets }), targetIds: [a.id] })
    assert.deepEqual(paths(wrong), ['/body/targetIds'])
    const ok = await create(o, { payload: commandPayload(o.org, { targets }), targetIds: [b.id, a.id] })
    assert.equal(ok.statusCode, 201)
    const notMerkle = await create(o, { payload: commandPayload(o.org), targetIds: [a.id] })
    assert.deepEqual(paths(notMerkle), ['/body/targetIds'])
  })

  it('refuses a second command with the same id in the org (409), but another org may use it', async (t) => {
    const o = await createTestOrg(t)
    const payload = commandPayload(o.org)
    assert.equal((await create(o, { payload })).statusCode, 201)
    const again = await create(o, { payload: { ...payload, script: 'other' } })
    assert.equal(again.statusCode, 409)
    assert.deepEqual(paths(again), ['/body/payload/id'])
  })
})

describe('POST /v1/orgs/:org/commands/:id/signatures', { concurrency: true }, () => {
  it('accepts an admin signature, is idempotent for the same key, and logs the command at the threshold', async (t) => {
    const o = await createTestOrg(t)
    const device = await enrollDevice(o)
    const cmd = await draftCommand(o)
    const [a0, a1] = o.admins
    const first = await post(o.app, `/v1/orgs/${o.org}/commands/${cmd.id}/signatures`, { keyid: a0!.id, sig: signPayload(a0!, cmd.payload) }, 200, o.auth)
    assert.deepEqual(first, { signatures: 1, threshold: 2, status: 'awaiting-signatures' })
    const again = await post(o.app, `/v1/orgs/${o.org}/commands/${cmd.id}/signatures`, { keyid: a0!.id, sig: signPayload(a0!, cmd.payload) }, 200, o.auth)
    assert.deepEqual(again, first)
    const done = await post(o.app, `/v1/orgs/${o.org}/commands/${cmd.id}/signatures`, { keyid: a1!.id, sig: signPayload(a1!, cmd.payload) }, 200, o.auth)
    assert.deepEqual(done, { signatures: 2, threshold: 2, status: 'logged' })

    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands/${cmd.id}`, headers: o.auth })).json()
    assert.equal(shown.status, 'logged')
    assert.equal(shown.logIndex, 1, 'entry 0 is root v1')
    assert.deepEqual(shown.signatures.map((s: { name: string }) => s.name).sort(), ['admin0', 'admin1'])
    assert.deepEqual(shown.deliveries, [{ deviceId: device.id, status: 'pending' }])
    // The logged leaf is a valid envelope over exactly the payload that was signed.
    const entry = await o.db.selectFrom('log_entries').selectAll().where('idx', '=', 1).executeTakeFirstOrThrow()
    const env = dsse.parseEnvelope(fromUtf8(entry.leaf_data))
    assert.deepEqual([env.payloadType, toBase64(env.payload), env.signatures.length], [COMMAND_PAYLOAD_TYPE, cmd.payload, 2])
    const checkpoint = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/log/checkpoint`, headers: o.auth }))
    assert.equal(checkpoint.statusCode, 200)
    assert.match(checkpoint.json().note, /\n2\n/, 'the published checkpoint covers root v1 and the command')
  })

  it('refuses a keyid that is no admin of the current root (400) and a signature by another key (422), storing neither', async (t) => {
    const o = await createTestOrg(t)
    const cmd = await draftCommand(o)
    const stranger = testKey('mallory')
    const notAdmin = await sign(o, cmd.id, { keyid: stranger.id, sig: signPayload(stranger, cmd.payload) })
    assert.deepEqual([notAdmin.statusCode, paths(notAdmin)], [400, ['/body/keyid']])
    const forged = await sign(o, cmd.id, { keyid: o.admins[0]!.id, sig: signPayload(stranger, cmd.payload) })
    assert.deepEqual([forged.statusCode, forged.json().code], [422, 'PROTO_SIG_INVALID'])
    const otherBytes = await sign(o, cmd.id, { keyid: o.admins[0]!.id, sig: signPayload(o.admins[0]!, toBase64(new Uint8Array(8))) })
    assert.equal(otherBytes.json().code, 'PROTO_SIG_INVALID')
    const garbage = await sign(o, cmd.id, { keyid: o.admins[0]!.id, sig: 'not base64!' })
    assert.deepEqual(paths(garbage), ['/body/sig'])
    assert.equal((await o.db.selectFrom('command_signatures').selectAll().execute()).length, 0)
    const missing = await sign(o, 'cmd-none', { keyid: o.admins[0]!.id, sig: signPayload(o.admins[0]!, cmd.payload) })
    assert.equal(missing.statusCode, 404)
  })

  it('logs the command exactly once when every admin signs at the same time', async (t) => {
    const o = await createTestOrg(t, { admins: 5, commandThreshold: 2 })
    await enrollDevice(o)
    const cmd = await draftCommand(o)
    const answers = await Promise.all(o.admins.map((a) => sign(o, cmd.id, { keyid: a.id, sig: signPayload(a, cmd.payload) })))
    assert.deepEqual(answers.map((r) => r.statusCode), [200, 200, 200, 200, 200])
    const entries = await o.db.selectFrom('log_entries').select(['idx', 'ref_id']).where('kind', '=', 'command').execute()
    assert.deepEqual(entries, [{ idx: 1, ref_id: cmd.id }])
    const deliveries = await o.db.selectFrom('deliveries').selectAll().execute()
    assert.equal(deliveries.length, 1)
    assert.equal((await o.db.selectFrom('command_signatures').selectAll().execute()).length, 5, 'no accepted signature is lost')
    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands/${cmd.id}`, headers: o.auth })).json()
    assert.equal(shown.status, 'logged')
  })

  it('keeps the signature when the witnesses are down, and logs on a retry', async (t) => {
    const o = await createTestOrg(t)
    await enrollDevice(o)
    const cmd = await draftCommand(o)
    await approve(o, cmd, o.admins.slice(0, 1))
    // Point the witness at a closed port: publishing fails with 503.
    await o.db.updateTable('org_witnesses').set({ url: 'http://127.0.0.1:1' }).execute()
    const a1 = o.admins[1]!
    const failed = await sign(o, cmd.id, { keyid: a1.id, sig: signPayload(a1, cmd.payload) })
    assert.equal(failed.statusCode, 503)
    assert.match(failed.json().detail, /0 of the required 1 witnesses cosigned/)
    assert.equal((await o.db.selectFrom('command_signatures').selectAll().execute()).length, 2)
    // Appended, and its delivery stored with the entry (log order per device: log-command.ts); unsendable until a checkpoint covers it.
    assert.deepEqual((await o.db.selectFrom('deliveries').select('status').execute()).map((d) => d.status), ['pending'])
    await o.db.updateTable('org_witnesses').set({ url: o.witness.url }).execute()
    const retried = await sign(o, cmd.id, { keyid: a1.id, sig: signPayload(a1, cmd.payload) })
    assert.deepEqual(retried.json(), { signatures: 2, threshold: 2, status: 'logged' })
    const entries = await o.db.selectFrom('log_entries').select('idx').where('kind', '=', 'command').execute()
    assert.equal(entries.length, 1, 'appended once, published on the retry')
    assert.equal((await o.db.selectFrom('deliveries').selectAll().execute()).length, 1, 'one delivery per target, created once')
  })

  it('creates the deliveries on a retry when an older server appended the command and stopped before creating them', async (t) => {
    const o = await createTestOrg(t)
    const device = await enrollDevice(o)
    const cmd = await draftCommand(o)
    await approve(o, cmd, o.admins.slice(0, 1))
    await o.db.updateTable('org_witnesses').set({ url: 'http://127.0.0.1:1' }).execute()
    const a1 = o.admins[1]!
    assert.equal((await sign(o, cmd.id, { keyid: a1.id, sig: signPayload(a1, cmd.payload) })).statusCode, 503)
    // What such a server left: the entry and the command's index, no delivery.
    await o.db.deleteFrom('deliveries').execute()
    await o.db.updateTable('org_witnesses').set({ url: o.witness.url }).execute()
    const retried = await sign(o, cmd.id, { keyid: a1.id, sig: signPayload(a1, cmd.payload) })
    assert.deepEqual(retried.json(), { signatures: 2, threshold: 2, status: 'logged' })
    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands/${cmd.id}`, headers: o.auth })).json()
    assert.deepEqual(shown.deliveries, [{ deviceId: device.id, status: 'pending' }])
  })
})

describe('GET /v1/orgs/:org/commands', { concurrency: true }, () => {
  it('lists commands newest first with signature, target and done counts', async (t) => {
    const o = await createTestOrg(t)
    await enrollDevice(o)
    await enrollDevice(o)
    const first = await draftCommand(o)
    await approve(o, first, o.admins.slice(0, 1))
    const list = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands?limit=10`, headers: o.auth })).json()
    assert.equal(list.commands.length, 1)
    const [c] = list.commands
    assert.deepEqual({ ...c, createdAt: 0 }, { id: first.id, status: 'awaiting-signatures', createdAt: 0, signatures: 1, threshold: 2, targets: 2, done: 0 })
    const other = await o.app.inject({ method: 'GET', url: '/v1/orgs/other/commands', headers: o.auth })
    assert.equal(other.statusCode, 404)
    const badLimit = await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands?limit=0`, headers: o.auth })
    assert.equal(badLimit.statusCode, 400)
  })

  it('refuses to approve a command while the org root is frozen (PROTO_FROZEN), and logs nothing', async (t) => {
    const o = await createTestOrg(t)
    await enrollDevice(o)
    const cmd = await draftCommand(o)
    const v1 = dsse.parseEnvelope(o.rootEnvelopes[0]!)
    const frozen = { ...JSON.parse(fromUtf8(v1.payload)), version: 2, frozen: true }
    const [a0, a1] = o.admins
    const env = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(frozen), [a0!, a1!].map((a) => dsse.ed25519Signer(a.id, a.seed)))
    await post(o.app, `/v1/orgs/${o.org}/roots`, { envelope: dsse.formatEnvelope(env) }, 201, o.auth)
    for (const a of [a0!, a1!]) {
      const res = await sign(o, cmd.id, { keyid: a.id, sig: signPayload(a, cmd.payload) })
      assert.equal(res.statusCode, 422)
      assert.equal(res.json().code, 'PROTO_FROZEN')
    }
    const shown = (await o.app.inject({ method: 'GET', url: `/v1/orgs/${o.org}/commands/${cmd.id}`, headers: o.auth })).json()
    assert.equal(shown.status, 'awaiting-signatures')
    assert.equal(shown.logIndex, null)
  })
})
