import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkpoint, cosignature, dsse, formatRootLine, fromUtf8, note, rootFingerprint, utf8 } from '@palisade/protocol'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'
import { createSetupCode } from './setup-code.js'
import { admin, requestLogKey, rootPayload, setupOrg, signRoot } from './test-org.test.helper.js'

let shared: TestApp
let witnesses: TestWitness[]
before(async () => {
  shared = await createTestApp()
  witnesses = await startWitnesses(3, 'setup-w')
})
after(async () => {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
})

const ALICE = admin('alice')
const BOB = admin('bob')
const CAROL = admin('carol')

async function counts(org: string): Promise<Record<string, number>> {
  const { db } = shared
  const n = async (table: 'orgs' | 'roots' | 'log_keys' | 'log_entries' | 'checkpoints' | 'org_witnesses' | 'api_keys' | 'log_heads', column: 'id' | 'org_id') =>
    (await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).where(column as never, '=', org as never).executeTakeFirstOrThrow()).n
  return {
    orgs: Number(await n('orgs', 'id')),
    roots: Number(await n('roots', 'org_id')),
    log_keys: Number(await n('log_keys', 'org_id')),
    log_entries: Number(await n('log_entries', 'org_id')),
    checkpoints: Number(await n('checkpoints', 'org_id')),
    org_witnesses: Number(await n('org_witnesses', 'org_id')),
    api_keys: Number(await n('api_keys', 'org_id')),
    log_heads: Number(await n('log_heads', 'org_id')),
  }
}

const NOTHING = { orgs: 0, roots: 0, log_keys: 0, log_entries: 0, checkpoints: 0, org_witnesses: 0, api_keys: 0, log_heads: 0 }

/** A setup attempt for `org` with witnesses w[0..2], quorum 2: code, log key, signed root. */
async function prepare(org: string, over: { signers?: typeof ALICE[]; quorum?: number; logKey?: string; origin?: string; ws?: TestWitness[] } = {}) {
  const { app, db } = shared
  const ws = over.ws ?? witnesses.slice(0, 2)
  const code = await createSetupCode(db)
  const lk = await requestLogKey(app, code, org)
  for (const w of ws) w.addLog(lk.logKey)
  const payload = rootPayload({
    org,
    admins: [ALICE, BOB, CAROL],
    witnessKeys: ws.map((w) => w.key),
    quorum: over.quorum ?? ws.length,
    origin: over.origin ?? lk.origin,
    logKey: over.logKey ?? lk.logKey,
  })
  const root = await signRoot(payload, over.signers ?? [ALICE, BOB])
  const body = { setupCode: code, root, witnesses: ws.map((w) => ({ key: w.key, url: w.url })) }
  return { code, lk, root, body, ws }
}

function post(body: unknown) {
  return shared.app.inject({ method: 'POST', url: '/v1/setup', payload: body as Record<string, unknown> })
}

describe('POST /v1/setup/log-key', () => {
  it('makes an Ed25519 note key named after the origin palisade/<org>, and returns the same one again', async () => {
    const code = await createSetupCode(shared.db)
    const a = await requestLogKey(shared.app, code, 'lk-org')
    assert.equal(a.origin, 'palisade/lk-org')
    assert.equal(note.verifierFromString(a.logKey).name, 'palisade/lk-org')
    assert.deepEqual(await requestLogKey(shared.app, code, 'lk-org'), a)
    const row = await shared.db.selectFrom('pending_log_keys').selectAll().where('org_id', '=', 'lk-org').executeTakeFirstOrThrow()
    assert.match(row.signer_key, /^PRIVATE\+KEY\+palisade\/lk-org\+/)
  })

  it('answers a wrong code with 401 and one generic message', async () => {
    await createSetupCode(shared.db)
    const res = await shared.app.inject({ method: 'POST', url: '/v1/setup/log-key', payload: { setupCode: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG', org: 'x' } })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().detail, 'invalid setup code')
    assert.ok(res.headers['www-authenticate'])
  })

  it('refuses an org id that roots cannot carry', async () => {
    const code = await createSetupCode(shared.db)
    const res = await shared.app.inject({ method: 'POST', url: '/v1/setup/log-key', payload: { setupCode: code, org: 'Not_An_Org' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'SRV_VALIDATION')
  })
})

describe('POST /v1/setup', () => {
  it('creates the org: root v1 is log entry 0 under a checkpoint cosigned by the witness quorum', async () => {
    const { body, lk, root, ws } = await prepare('happy')
    const res = await post(body)
    assert.equal(res.statusCode, 201, res.body)
    const out = res.json() as { org: string; fingerprint: string; apiKey: string }
    assert.equal(out.org, 'happy')
    assert.equal(out.fingerprint, rootFingerprint(dsse.parseEnvelope(root).payload))
    assert.match(out.apiKey, /^pal_[a-z2-7]{8}_[A-Za-z0-9_-]{43}$/)
    const auth = { authorization: `Bearer ${out.apiKey}` }

    const roots = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/happy/roots', headers: auth })).json().roots as string[]
    assert.deepEqual(roots, [root])
    const entries = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/happy/log/entries?start=0&end=10', headers: auth })).json()
    assert.deepEqual(entries, { entries: [{ index: 0, kind: 'root', data: Buffer.from(root).toString('base64') }] })

    const { note: cpNote } = (await shared.app.inject({ method: 'GET', url: '/v1/orgs/happy/log/checkpoint', headers: auth })).json()
    const opened = checkpoint.openCosignedCheckpoint(cpNote, {
      origin: lk.origin,
      logVerifier: note.verifierFromString(lk.logKey),
      witnesses: ws.map((w) => cosignature.witnessVerifierFromString(w.key)),
      quorum: 2,
    })
    assert.equal(opened.checkpoint.size, 1)
    assert.equal(opened.cosignatures.length, 2)
    // the first checkpoint names root v1
    assert.deepEqual(opened.checkpoint.extensions, [formatRootLine({ version: 1, fingerprint: out.fingerprint })])
    assert.deepEqual(ws.map((w) => w.sizeOf(lk.origin)), [1, 1])
    // The setup code is spent, the pending key has moved.
    assert.equal((await post(body)).statusCode, 401)
    assert.equal(await shared.db.selectFrom('pending_log_keys').select('org_id').where('org_id', '=', 'happy').executeTakeFirst(), undefined)
    const wrows = await shared.db.selectFrom('org_witnesses').select(['key', 'last_size']).where('org_id', '=', 'happy').execute()
    assert.deepEqual(wrows.map((r) => r.last_size), [1, 1])
  })

  it('answers an unknown code and a used code with the same 401', async () => {
    const { body } = await prepare('codes')
    const wrong = await post({ ...body, setupCode: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG' })
    assert.equal(wrong.statusCode, 401)
    assert.equal((await post(body)).statusCode, 201)
    const used = await post(body)
    assert.equal(used.statusCode, 401)
    assert.equal(used.json().detail, wrong.json().detail)
  })

  it('accepts the code in any case and grouping', async () => {
    const { body } = await prepare('casing')
    const res = await post({ ...body, setupCode: body.setupCode.replaceAll('-', '').toLowerCase() })
    assert.equal(res.statusCode, 201, res.body)
  })

  it('refuses a root that lacks its own root threshold (422 PROTO_ROOT_SIG), writing nothing', async () => {
    const { body } = await prepare('unsigned', { signers: [ALICE] })
    const res = await post(body)
    assert.deepEqual([res.statusCode, res.json().code], [422, 'PROTO_ROOT_SIG'])
    assert.deepEqual(await counts('unsigned'), NOTHING)
    assert.equal(witnesses[0]!.sizeOf('palisade/unsigned'), 0, 'no witness was asked')
  })

  it('refuses a root signed by keys it does not name', async () => {
    const { body } = await prepare('strangers', { signers: [admin('mallory'), admin('trent')] })
    const res = await post(body)
    assert.deepEqual([res.statusCode, res.json().code], [422, 'PROTO_ROOT_SIG'])
  })

  it('refuses a root naming another log key, or another origin', async () => {
    const other = note.formatVerifierKey('palisade/other-key', new Uint8Array(32).fill(9))
    const { body } = await prepare('wrongkey', { logKey: other })
    const res = await post(body)
    assert.deepEqual([res.statusCode, res.json().code], [400, 'SRV_VALIDATION'])
    assert.match(res.json().errors[0].message, /root.log.key/)
    const { body: b2 } = await prepare('wrongorigin', { origin: 'palisade/elsewhere' })
    assert.match((await post(b2)).json().errors[0].message, /root.log.origin/)
    assert.deepEqual(await counts('wrongkey'), NOTHING)
  })

  it('refuses witnesses that are not exactly the root’s, or have a bad URL', async () => {
    const { body } = await prepare('wset')
    const extra = await post({ ...body, witnesses: [...body.witnesses, { key: witnesses[2]!.key, url: witnesses[2]!.url }] })
    assert.equal(extra.statusCode, 400)
    assert.deepEqual(extra.json().errors, [{ path: '/body/witnesses/2/key', message: 'is not a witness of the root' }])
    const missing = await post({ ...body, witnesses: body.witnesses.slice(0, 1) })
    assert.match(missing.json().errors[0].message, /has no URL for the root's witness setup-w1.example/)
    const badUrl = await post({ ...body, witnesses: [body.witnesses[0], { ...body.witnesses[1], url: 'ftp://x/' }] })
    assert.equal(badUrl.json().errors[0].path, '/body/witnesses/1/url')
  })

  it('refuses a second setup of an existing org with 409', async () => {
    const { app, db } = shared
    const code = await createSetupCode(db)
    const res = await app.inject({ method: 'POST', url: '/v1/setup/log-key', payload: { setupCode: code, org: 'happy' } })
    assert.equal(res.statusCode, 409)
  })

  it('answers 503 naming the witness when the quorum fails, writes nothing, and succeeds on retry with the same code', async () => {
    const { body, ws } = await prepare('downwit')
    ws[1]!.mode = 'down'
    try {
      const res = await post(body)
      assert.equal(res.statusCode, 503)
      const p = res.json()
      assert.equal(p.code, 'SRV_UNAVAILABLE')
      assert.match(p.detail, /1 of the required 2 witnesses/)
      assert.match(p.detail, /setup-w1\.example/)
      assert.equal(p.errors.length, 1)
      assert.equal(p.errors[0].path, '/witnesses/setup-w1.example')
      assert.match(p.errors[0].message, /^connection failed/)
      assert.ok(res.headers['retry-after'])
      assert.deepEqual(await counts('downwit'), NOTHING)
    } finally {
      ws[1]!.mode = 'honest'
    }
    // w0 already holds size 1 of this log: it answers "old 0" with 409 and
    // size 1, and the retry from size 1 (same checkpoint, empty proof) passes.
    const before = ws[0]!.oldSizes.length
    const again = await post(body)
    assert.equal(again.statusCode, 201, again.body)
    assert.deepEqual(ws[0]!.oldSizes.slice(before), [0, 1])
  })

  it('does not count a witness whose cosignature does not verify', async () => {
    const { body, ws } = await prepare('badsig')
    ws[1]!.mode = 'bad-cosignature'
    try {
      const res = await post(body)
      assert.equal(res.statusCode, 503)
      assert.deepEqual(res.json().errors, [{ path: '/witnesses/setup-w1.example', message: 'the witness returned no valid cosignature by its key' }])
    } finally {
      ws[1]!.mode = 'honest'
    }
  })

  it('with quorum 1 of 2, publishes with only the valid cosignature when one witness signs with the wrong key', async () => {
    const { body, ws, lk } = await prepare('quorum1', { quorum: 1 })
    ws[0]!.mode = 'wrong-key'
    try {
      const res = await post(body)
      assert.equal(res.statusCode, 201, res.body)
    } finally {
      ws[0]!.mode = 'honest'
    }
    const row = await shared.db.selectFrom('checkpoints').select('note').where('org_id', '=', 'quorum1').executeTakeFirstOrThrow()
    const names = note.parse(row.note).signatures.map((s) => s.name)
    assert.deepEqual(names, [lk.origin, ws[1]!.name])
    const w = await shared.db.selectFrom('org_witnesses').select(['key', 'last_size', 'last_error']).where('org_id', '=', 'quorum1').orderBy('url').execute()
    assert.equal(w.find((r) => r.key === ws[0]!.key)?.last_error, 'the witness returned no valid cosignature by its key')
  })

  it('stores root v1 in canonical DSSE form, byte for byte the log entry', async () => {
    const { app, db } = shared
    const o = await setupOrg(app, db, { org: 'canon', witnesses: witnesses.slice(0, 1) })
    const stored = await db.selectFrom('roots').select('envelope').where('org_id', '=', 'canon').executeTakeFirstOrThrow()
    const entry = await db.selectFrom('log_entries').select('leaf_data').where('org_id', '=', 'canon').executeTakeFirstOrThrow()
    assert.equal(fromUtf8(entry.leaf_data), stored.envelope)
    assert.deepEqual(utf8(stored.envelope), utf8(o.rootJson))
  })
})
