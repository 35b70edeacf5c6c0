import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  checkpointStaleness, decodeTrustState, encodeTrustState, formatCheckpointUpdate, initialTrustState, merkle, parseCheckpointUpdate,
  ProtocolError, toBase64, verifyCheckpointUpdate, verifyCommand, checkpoint as cp,
  type CheckpointUpdate, type CheckpointUpdateResult, type TrustState,
} from '../../dist/node.js'
import { key, NOW, TestOrg } from '../fixtures/org.js'

async function setup(opts: ConstructorParameters<typeof TestOrg>[0] = {}, over: Record<string, unknown> = {}): Promise<{ org: TestOrg; state: TrustState }> {
  const org = new TestOrg(opts)
  Object.assign(org.rootObject, over)
  await org.init()
  org.append(org.rootEnvelopes[0]!)
  return { org, state: initialTrustState(org.fingerprint, org.rootEnvelopes, NOW) }
}

function rejected(r: CheckpointUpdateResult, code: string): void {
  assert.equal(r.ok, false, 'expected a rejection')
  if (!r.ok) assert.equal(r.code, code, r.message)
}

function accepted(r: CheckpointUpdateResult): TrustState {
  assert.ok(r.ok, !r.ok ? `${r.code}: ${r.message}` : '')
  return r.nextState
}

/** An update of the org's whole log for a device that last saw `from`. */
async function update(org: TestOrg, from: TrustState, over: Partial<CheckpointUpdate> & { times?: number | number[] } = {}): Promise<CheckpointUpdate> {
  const size = org.leaves.length
  const last = from.checkpoint
  const { times, ...rest } = over
  return {
    note: await org.checkpointNote(size, undefined, undefined, undefined, undefined, times ?? NOW),
    consistencyProof: last !== null && last.size < size ? merkle.consistencyProof(org.leaves, last.size, size) : [],
    rootUpdates: [],
    ...rest,
  }
}

describe('verifyCheckpointUpdate — accepted', () => {
  it('accepts a first checkpoint, records it and its cosigned-at time, leaves executed alone', async () => {
    const { org, state } = await setup()
    const next = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    assert.equal(next.checkpoint?.size, 1)
    assert.equal(next.cosignedAt, NOW)
    assert.equal(next.executed, state.executed)
    assert.equal(state.checkpoint, null, 'the input state is not mutated')
  })
  it('accepts a larger checkpoint with a consistency proof from the last one seen', async () => {
    const { org, state } = await setup()
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    for (let i = 0; i < 6; i++) org.append(`entry ${i}`)
    const s2 = accepted(verifyCheckpointUpdate(s1, await update(org, s1, { times: NOW + 60 }), NOW + 60))
    assert.equal(s2.checkpoint?.size, 7)
    assert.equal(s2.cosignedAt, NOW + 60)
  })
  describe('when the same checkpoint is re-cosigned later (an idle log)', () => {
    it('accepts it and advances the cosigned-at time and the note', async () => {
      const { org, state } = await setup()
      const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
      const u = await update(org, s1, { times: NOW + 3600 })
      const s2 = accepted(verifyCheckpointUpdate(s1, u, NOW + 3600))
      assert.equal(s2.checkpoint?.size, s1.checkpoint?.size)
      assert.equal(s2.cosignedAt, NOW + 3600)
      assert.equal(s2.checkpoint?.note, u.note)
    })
    it('never moves the cosigned-at time back for an older re-cosigned note', async () => {
      const { org, state } = await setup()
      const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state, { times: NOW }), NOW))
      const s2 = accepted(verifyCheckpointUpdate(s1, await update(org, s1, { times: NOW - 5000 }), NOW))
      assert.equal(s2.cosignedAt, NOW)
    })
  })
  it('follows root updates that come with it, then checks the root line against the newest', async () => {
    const { org, state } = await setup()
    const v2 = await org.signRoot({ ...org.rootObject, version: 2, checkpointMaxAgeSeconds: 3600 }, org.admins.slice(0, 2))
    org.rootEnvelopes.push(v2)
    org.append(v2)
    rejected(verifyCheckpointUpdate(state, await update(org, state), NOW), 'PROTO_ROOT_STALE')
    const next = accepted(verifyCheckpointUpdate(state, await update(org, state, { rootUpdates: [v2] }), NOW))
    assert.equal(next.roots.length, 2)
    assert.equal(next.roots[1]!.root.checkpointMaxAgeSeconds, 3600)
  })
  it('accepts updates while the root is frozen (freshness matters most then)', async () => {
    const { org, state } = await setup({}, { frozen: true })
    accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
  })
  it('agrees with verifyCommand: a delivery after the update verifies from the updated state', async () => {
    const { org, state } = await setup()
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    const i = org.append(await org.signCommand())
    const r = verifyCommand(s1, await org.delivery(i, s1), { id: 'dev-1' }, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (r.ok) assert.equal(r.nextState.cosignedAt, NOW)
  })
})

describe('verifyCheckpointUpdate — rejected, with the codes verifyCommand uses', () => {
  it('a checkpoint of the same size with another root hash is a fork (PROTO_LOG_INCONSISTENT), with both notes', async () => {
    const { org, state } = await setup()
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    const fork = new TestOrg()
    fork.rootEnvelopes = org.rootEnvelopes
    fork.append('another history')
    const r = verifyCheckpointUpdate(s1, await update(fork, s1), NOW)
    rejected(r, 'PROTO_LOG_INCONSISTENT')
    if (!r.ok) assert.ok(typeof r.details?.['seen'] === 'string' && typeof r.details?.['offered'] === 'string')
  })
  it('a larger checkpoint without a valid consistency proof (PROTO_LOG_INCONSISTENT)', async () => {
    const { org, state } = await setup()
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    org.append('a')
    org.append('b')
    rejected(verifyCheckpointUpdate(s1, await update(org, s1, { consistencyProof: [] }), NOW), 'PROTO_LOG_INCONSISTENT')
  })
  it('a smaller checkpoint (PROTO_LOG_ROLLBACK)', async () => {
    const { org, state } = await setup()
    org.append('a')
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    const small = { ...(await update(org, s1)), note: await org.checkpointNote(1) }
    rejected(verifyCheckpointUpdate(s1, small, NOW), 'PROTO_LOG_ROLLBACK')
  })
  it('another log key (PROTO_LOG_SIG), another origin (PROTO_LOG_ORIGIN), too few witnesses (PROTO_WITNESS_QUORUM)', async () => {
    const { org, state } = await setup()
    const size = org.leaves.length
    const u = await update(org, state)
    rejected(verifyCheckpointUpdate(state, { ...u, note: await org.checkpointNote(size, undefined, key('rogue', org.origin)) }, NOW), 'PROTO_LOG_SIG')
    rejected(verifyCheckpointUpdate(state, { ...u, note: await org.checkpointNote(size, undefined, undefined, 'palisade.test/other') }, NOW), 'PROTO_LOG_ORIGIN')
    rejected(verifyCheckpointUpdate(state, { ...u, note: await org.checkpointNote(size, org.witnesses.slice(0, 1)) }, NOW), 'PROTO_WITNESS_QUORUM')
  })
  it('a checkpoint without a root line (PROTO_MALFORMED), or naming another root (PROTO_ROOT_STALE)', async () => {
    const { org, state } = await setup()
    const size = org.leaves.length
    const u = await update(org, state)
    rejected(verifyCheckpointUpdate(state, { ...u, note: await org.checkpointNote(size, undefined, undefined, undefined, []) }, NOW), 'PROTO_MALFORMED')
    const other = `palisade-root 1 ${'0'.repeat(64)}`
    rejected(verifyCheckpointUpdate(state, { ...u, note: await org.checkpointNote(size, undefined, undefined, undefined, [other]) }, NOW), 'PROTO_ROOT_STALE')
  })
  it('a root update that goes back (PROTO_ROOT_ROLLBACK), and an expired root (PROTO_ROOT_EXPIRED)', async () => {
    const { org, state } = await setup()
    rejected(verifyCheckpointUpdate(state, await update(org, state, { rootUpdates: [org.rootEnvelopes[0]!] }), NOW), 'PROTO_ROOT_ROLLBACK')
    rejected(verifyCheckpointUpdate(state, await update(org, state), NOW + 400 * 86400), 'PROTO_ROOT_EXPIRED')
  })
  it('never throws, for thousands of mutated frames', async () => {
    const { org, state } = await setup()
    org.append('x')
    const wire = JSON.stringify(formatCheckpointUpdate(await update(org, state)))
    fc.assert(
      fc.property(fc.nat({ max: wire.length - 1 }), fc.integer({ min: 32, max: 126 }), (at, ch) => {
        const text = wire.slice(0, at) + String.fromCharCode(ch) + wire.slice(at + 1)
        let u: CheckpointUpdate
        try {
          u = parseCheckpointUpdate(JSON.parse(text))
        } catch (e) {
          if (!(e instanceof SyntaxError)) assert.ok(e instanceof ProtocolError)
          return
        }
        const r = verifyCheckpointUpdate(state, u, NOW)
        if (!r.ok) assert.match(r.code, /^PROTO_[A-Z_]+$/)
      }),
      { numRuns: 1500 },
    )
  })
})

describe('checkpoint update wire form', () => {
  it('round-trips, omits empty rootUpdates, and refuses unknown fields and bad hashes', async () => {
    const { org, state } = await setup()
    org.append('x')
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    org.append('y')
    const u = await update(org, s1)
    const wire = formatCheckpointUpdate(u)
    assert.deepEqual(Object.keys(wire), ['note', 'consistency'])
    assert.deepEqual(parseCheckpointUpdate(JSON.parse(JSON.stringify(wire))), u)
    assert.throws(() => parseCheckpointUpdate({ ...wire, extra: 1 }), { code: 'PROTO_MALFORMED' })
    assert.throws(() => parseCheckpointUpdate({ ...wire, consistency: [toBase64(new Uint8Array(31))] }), { code: 'PROTO_MALFORMED' })
    assert.throws(() => parseCheckpointUpdate({ note: 'x' }), { code: 'PROTO_MALFORMED' })
  })
})

describe('cosigned-at time: the quorum-th newest witness timestamp', () => {
  it('is the older of two when the quorum is 2: one witness with a late clock cannot make it look fresh', async () => {
    const { org, state } = await setup({ witnesses: 3, quorum: 2 })
    const u = await update(org, state, { times: [NOW + 200, NOW - 10, NOW - 500] })
    assert.equal(accepted(verifyCheckpointUpdate(state, u, NOW)).cosignedAt, NOW - 10)
  })
  it('does not count a witness whose time is past now + the allowed skew at all (M1)', async () => {
    const { org, state } = await setup({ witnesses: 3, quorum: 2 })
    const u = await update(org, state, { times: [NOW + 999_999, NOW - 10, NOW - 500] })
    assert.equal(accepted(verifyCheckpointUpdate(state, u, NOW)).cosignedAt, NOW - 500)
  })
  it('counts a witness once, by its newest line, however many lines it has', async () => {
    const { org, state } = await setup({ witnesses: 2, quorum: 2 })
    const size = org.leaves.length
    const body = cp.format({ origin: org.origin, size, rootHash: merkle.rootHash(org.leaves), extensions: [org.rootLine()] })
    const w0 = org.witnesses[0]!
    // witness0 signs twice (an old and a late line); witness1 once, older
    let note = await org.checkpointNote(size, [org.witnesses[1]!], undefined, undefined, undefined, NOW - 100)
    const { cosignature } = await import('../../dist/node.js')
    note += await cosignature.cosign(body, { name: w0.name, seed: w0.seed }, NOW + 200)
    note += await cosignature.cosign(body, { name: w0.name, seed: w0.seed }, NOW - 900)
    assert.equal(accepted(verifyCheckpointUpdate(state, { note, consistencyProof: [], rootUpdates: [] }, NOW)).cosignedAt, NOW - 100)
  })
  it('is measured from cosignature times only, whatever the device clock says', async () => {
    const { org, state } = await setup()
    assert.equal(accepted(verifyCheckpointUpdate(state, await update(org, state, { times: NOW - 7200 }), NOW)).cosignedAt, NOW - 7200)
  })
})

describe('checkpointStaleness', () => {
  it('is null when the root sets no max age, however old the checkpoint', async () => {
    const { org, state } = await setup()
    const s = accepted(verifyCheckpointUpdate(state, await update(org, state, { times: NOW - 10 * 86400 }), NOW))
    assert.equal(checkpointStaleness(s, NOW), null)
  })
  it('is null up to the max age and reports age and bound beyond it', async () => {
    const { org, state } = await setup({}, { checkpointMaxAgeSeconds: 3600 })
    const s = accepted(verifyCheckpointUpdate(state, await update(org, state, { times: NOW }), NOW))
    assert.equal(checkpointStaleness(s, NOW + 3600), null)
    assert.deepEqual(checkpointStaleness(s, NOW + 3601), { cosignedAt: NOW, maxAge: 3600, ageSeconds: 3601 })
  })
  it('ends once a fresh (re-cosigned) checkpoint arrives', async () => {
    const { org, state } = await setup({}, { checkpointMaxAgeSeconds: 300 })
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, state, { times: NOW }), NOW))
    assert.notEqual(checkpointStaleness(s1, NOW + 1000), null)
    const s2 = accepted(verifyCheckpointUpdate(s1, await update(org, s1, { times: NOW + 990 }), NOW + 1000))
    assert.equal(checkpointStaleness(s2, NOW + 1000), null)
  })
  it('without any checkpoint, measures from unknownSince, and is null without it', async () => {
    const { state } = await setup({}, { checkpointMaxAgeSeconds: 300 })
    assert.equal(checkpointStaleness(state, NOW), null)
    assert.equal(checkpointStaleness(state, NOW + 300, NOW), null)
    assert.deepEqual(checkpointStaleness(state, NOW + 301, NOW), { cosignedAt: null, maxAge: 300, ageSeconds: 301 })
  })
})

describe('trust state with a cosigned-at time', () => {
  it('round-trips it through JSON', async () => {
    const { org, state } = await setup()
    const s = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    const back = decodeTrustState(JSON.parse(JSON.stringify(encodeTrustState(s))))
    assert.equal(back.cosignedAt, NOW)
    assert.deepEqual(encodeTrustState(back), encodeTrustState(s))
  })
  it('reads a state file written before the field existed as unknown (null)', async () => {
    const { org, state } = await setup()
    const s = accepted(verifyCheckpointUpdate(state, await update(org, state), NOW))
    const { cosignedAt: _drop, ...old } = encodeTrustState(s)
    assert.equal(decodeTrustState(old).cosignedAt, null)
    assert.equal(decodeTrustState(old).checkpoint?.size, s.checkpoint?.size)
  })
  it('refuses a malformed cosignedAt (PROTO_MALFORMED)', async () => {
    const { state } = await setup()
    assert.throws(() => decodeTrustState({ ...encodeTrustState(state), cosignedAt: 'now' }), { code: 'PROTO_MALFORMED' })
  })
})
