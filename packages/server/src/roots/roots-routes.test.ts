import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkpoint, checkpointRootLine, cosignature, dsse, note, rootFingerprint } from '@palisade/protocol'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { admin, rootPayload, setupOrg, signRoot, type Admin, type TestOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'

let shared: TestApp
let witnesses: TestWitness[]
let org: TestOrg
let other: TestOrg
before(async () => {
  shared = await createTestApp()
  witnesses = await startWitnesses(3, 'roots-w')
  org = await setupOrg(shared.app, shared.db, { org: 'rot', witnesses: witnesses.slice(0, 2) })
  other = await setupOrg(shared.app, shared.db, { org: 'rot-other', witnesses: witnesses.slice(0, 1) })
})
after(async () => {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
})

const [ALICE, BOB, CAROL] = [admin('rot-alice'), admin('rot-bob'), admin('rot-carol')]
const DAVE = admin('rot-dave')

function rootV(version: number, admins: readonly Admin[], over: { witnessKeys?: string[]; quorum?: number; logKey?: string } = {}) {
  return rootPayload({
    org: 'rot',
    version,
    admins,
    witnessKeys: over.witnessKeys ?? witnesses.slice(0, 2).map((w) => w.key),
    quorum: over.quorum ?? 2,
    origin: org.origin,
    logKey: over.logKey ?? org.logKey,
  })
}

function postRoot(body: Record<string, unknown>, headers = org.auth) {
  return shared.app.inject({ method: 'POST', url: '/v1/orgs/rot/roots', headers, payload: body })
}

async function latestCheckpoint(t: TestOrg, witnessKeys: readonly string[], quorum: number) {
  const res = await shared.app.inject({ method: 'GET', url: `/v1/orgs/${t.org}/log/checkpoint`, headers: t.auth })
  return checkpoint.openCosignedCheckpoint(res.json().note, {
    origin: t.origin,
    logVerifier: note.verifierFromString(t.logKey),
    witnesses: witnessKeys.map((k) => cosignature.witnessVerifierFromString(k)),
    quorum,
  }).checkpoint
}

describe('roots', () => {
  let v2 = ''

  it('rotates to v2 signed by a threshold of v1 and of v2: stored, logged, cosigned', async () => {
    v2 = await signRoot(rootV(2, [ALICE, BOB, DAVE]), [ALICE, BOB])
    const res = await postRoot({ envelope: v2 })
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(res.json(), { version: 2 })
    const roots = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/roots', headers: org.auth })).json().roots
    assert.deepEqual(roots, [org.rootJson, v2])
    const cp = await latestCheckpoint(org, org.witnesses.map((w) => w.key), 2)
    assert.equal(cp.size, 2)
    // the checkpoint published with the rotation names v2 (devices still at v1 learn that it exists)
    assert.deepEqual({ ...checkpointRootLine(cp.extensions) }, { version: 2, fingerprint: rootFingerprint(dsse.parseEnvelope(v2).payload) })
    const entries = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/log/entries?start=1&end=2', headers: org.auth })).json().entries
    assert.deepEqual(entries, [{ index: 1, kind: 'root', data: Buffer.from(v2).toString('base64') }])
  })

  it('treats the same v2 posted again as done (no second log entry)', async () => {
    const res = await postRoot({ envelope: v2 })
    assert.deepEqual([res.statusCode, res.json()], [201, { version: 2 }])
    const entries = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/log/entries?start=0&end=10', headers: org.auth })).json().entries
    assert.equal(entries.length, 2)
  })

  it('refuses a rollback to v1 with 422 PROTO_ROOT_ROLLBACK', async () => {
    const res = await postRoot({ envelope: org.rootJson })
    assert.deepEqual([res.statusCode, res.json().code], [422, 'PROTO_ROOT_ROLLBACK'])
    const other2 = await signRoot(rootV(2, [ALICE, BOB, CAROL]), [ALICE, BOB])
    assert.equal((await postRoot({ envelope: other2 })).json().code, 'PROTO_ROOT_ROLLBACK')
  })

  it('refuses a skipped version with PROTO_ROOT_SKIPPED', async () => {
    const v4 = await signRoot(rootV(4, [ALICE, BOB, DAVE]), [ALICE, BOB])
    assert.equal((await postRoot({ envelope: v4 })).json().code, 'PROTO_ROOT_SKIPPED')
  })

  it('refuses v3 signed only by new keys (not a threshold of v2) with PROTO_ROOT_SIG', async () => {
    const [E, F] = [admin('rot-erin'), admin('rot-frank')]
    const v3 = await signRoot(rootV(3, [DAVE, E, F]), [E, F])
    const res = await postRoot({ envelope: v3 })
    assert.deepEqual([res.statusCode, res.json().code], [422, 'PROTO_ROOT_SIG'])
    // One old key (DAVE) is below v2's threshold of 2.
    const v3b = await signRoot(rootV(3, [DAVE, E, F]), [DAVE, E])
    assert.equal((await postRoot({ envelope: v3b })).json().code, 'PROTO_ROOT_SIG')
  })

  it('refuses a root that changes the log key to one that is not the pending key (the server cannot sign with a key it does not hold)', async () => {
    const otherKey = note.formatVerifierKey(org.origin, new Uint8Array(32).fill(5))
    const v3 = await signRoot(rootV(3, [ALICE, BOB, DAVE], { logKey: otherKey }), [ALICE, BOB])
    const res = await postRoot({ envelope: v3 })
    assert.deepEqual([res.statusCode, res.json().code], [400, 'SRV_VALIDATION'])
    assert.match(res.json().errors[0].message, /root\.log\.key must be the current log key, or the pending one/)
  })

  it('needs a URL for a witness the new root adds, then publishes under the new witness set', async () => {
    const keys = witnesses.map((w) => w.key)
    const v3 = await signRoot(rootV(3, [ALICE, BOB, DAVE], { witnessKeys: keys, quorum: 3 }), [ALICE, BOB])
    const missing = await postRoot({ envelope: v3 })
    assert.equal(missing.statusCode, 400)
    assert.match(missing.json().errors[0].message, /no URL for the new witness roots-w2\.example/)
    witnesses[2]!.addLog(org.logKey)
    const res = await postRoot({ envelope: v3, witnesses: [{ key: witnesses[2]!.key, url: witnesses[2]!.url }] })
    assert.equal(res.statusCode, 201, res.body)
    assert.equal(witnesses[2]!.oldSizes.at(-1), 0, 'a witness new to the log starts from 0')
    assert.equal((await latestCheckpoint(org, keys, 3)).size, 3)
  })

  it('answers 503 naming the witness when the rotation cannot be cosigned, keeps it logged, and a retry publishes it', async () => {
    const v4 = await signRoot(rootV(4, [ALICE, BOB, DAVE], { witnessKeys: witnesses.map((w) => w.key), quorum: 3 }), [ALICE, BOB])
    witnesses[2]!.mode = 'down'
    try {
      const res = await postRoot({ envelope: v4 })
      assert.equal(res.statusCode, 503)
      assert.match(res.json().detail, /roots-w2\.example/)
    } finally {
      witnesses[2]!.mode = 'honest'
    }
    const roots = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/roots', headers: org.auth })).json().roots
    assert.equal(roots.length, 4)
    const again = await postRoot({ envelope: v4 })
    assert.deepEqual([again.statusCode, again.json()], [201, { version: 4 }])
    assert.equal((await latestCheckpoint(org, witnesses.map((w) => w.key), 3)).size, 4)
  })

  it('answers another org’s key with 404, and no key with 401', async () => {
    const res = await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/roots', headers: other.auth })
    assert.deepEqual([res.statusCode, res.json().code], [404, 'SRV_NOT_FOUND'])
    const post = await postRoot({ envelope: v2 }, other.auth)
    assert.equal(post.statusCode, 404)
    const none = await shared.app.inject({ method: 'GET', url: '/v1/orgs/rot/roots' })
    assert.equal(none.statusCode, 401)
  })
})
