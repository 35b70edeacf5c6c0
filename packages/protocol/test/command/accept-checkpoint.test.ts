import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  checkpointStaleness, clampTrustState, initialTrustState, verifyCheckpointUpdate, verifyCommand,
  type CheckpointUpdateResult, type TrustState,
} from '../../dist/node.js'
import { NOW, TestOrg } from '../fixtures/org.js'

async function setup(opts: ConstructorParameters<typeof TestOrg>[0] = {}, over: Record<string, unknown> = {}): Promise<{ org: TestOrg; state: TrustState }> {
  const org = new TestOrg(opts)
  Object.assign(org.rootObject, over)
  await org.init()
  org.append(org.rootEnvelopes[0]!)
  return { org, state: initialTrustState(org.fingerprint, org.rootEnvelopes, NOW) }
}

function accepted(r: CheckpointUpdateResult): TrustState {
  assert.ok(r.ok, !r.ok ? `${r.code}: ${r.message}` : '')
  return r.nextState
}

const update = async (org: TestOrg, times: number | number[]) => ({ note: await org.checkpointNote(org.leaves.length, undefined, undefined, undefined, undefined, times), consistencyProof: [], rootUpdates: [] })

describe('acceptCheckpoint — cosigned-at against the device clock (M1)', () => {
  it('ignores one far-future witness before the quorum count (quorum 1): freshness stays where the honest one put it', async () => {
    const { org, state } = await setup({ witnesses: 2, quorum: 1 }, { checkpointMaxAgeSeconds: 3600 })
    const s = accepted(verifyCheckpointUpdate(state, await update(org, [NOW + 10 ** 8, NOW - 4000]), NOW))
    assert.equal(s.cosignedAt, NOW - 4000)
    assert.notEqual(checkpointStaleness(s, NOW), null, 'the staleness alarm still fires')
  })
  it('accepts a checkpoint whose only witness is far ahead, but it does not freshen anything', async () => {
    const { org, state } = await setup({ witnesses: 1, quorum: 1 }, { checkpointMaxAgeSeconds: 3600 })
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, NOW - 100), NOW))
    const s2 = accepted(verifyCheckpointUpdate(s1, await update(org, NOW + 10 ** 8), NOW + 60))
    assert.equal(s2.cosignedAt, NOW - 100)
    assert.notEqual(checkpointStaleness(s2, NOW + 3601), null)
  })
  it('stores min(cosigned-at, now) for a time ahead within the allowed skew', async () => {
    const { org, state } = await setup()
    assert.equal(accepted(verifyCheckpointUpdate(state, await update(org, NOW + 200), NOW)).cosignedAt, NOW)
  })
  it('clamps a remembered future time on first use (state written by an older agent)', async () => {
    const { org, state } = await setup()
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, NOW - 500), NOW))
    const poisoned: TrustState = { ...s1, cosignedAt: NOW + 10 ** 8 }
    assert.equal(accepted(verifyCheckpointUpdate(poisoned, await update(org, NOW - 300), NOW)).cosignedAt, NOW, 'not NOW + 10^8')
  })
  it('verifyCommand applies the same rule', async () => {
    const { org, state } = await setup({ witnesses: 2, quorum: 1 })
    const s1 = accepted(verifyCheckpointUpdate(state, await update(org, NOW - 50), NOW))
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i, s1, { checkpoint: await org.checkpointNote(org.leaves.length, undefined, undefined, undefined, undefined, [NOW + 10 ** 8, NOW - 40]) })
    const r = verifyCommand(s1, d, { id: 'dev-1' }, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (r.ok) assert.equal(r.nextState.cosignedAt, NOW - 40)
  })
})

describe('clampTrustState', () => {
  it('caps a future cosigned-at at now, so the staleness alarm can fire again', async () => {
    const { state } = await setup({}, { checkpointMaxAgeSeconds: 3600 })
    const loaded: TrustState = { ...state, cosignedAt: NOW + 10 ** 8 }
    assert.equal(checkpointStaleness(loaded, NOW + 7200), null, 'unclamped: silenced')
    const clamped = clampTrustState(loaded, NOW)
    assert.equal(clamped.cosignedAt, NOW)
    assert.notEqual(checkpointStaleness(clamped, NOW + 3601), null)
  })
  it('returns the same state when nothing is in the future', async () => {
    const { state } = await setup()
    assert.equal(clampTrustState(state, NOW), state)
  })
})

describe('property: freshness through acceptCheckpoint', () => {
  it('never passes now nor an honest quorum member\'s time, whatever fewer than quorum witnesses sign', async () => {
    const { org, state } = await setup({ witnesses: 3, quorum: 2 })
    const notes = new Map<string, string>()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: NOW - 10 ** 6, max: NOW + 300 }),
        fc.integer({ min: NOW - 10 ** 6, max: NOW + 300 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: NOW - 10 ** 6, max: NOW + 10 ** 6 }),
        async (h1, h2, lie, liar, now) => {
          const times = [h1, h2]
          times.splice(liar, 0, lie)
          const key = times.join(',')
          const note = notes.get(key) ?? (await org.checkpointNote(org.leaves.length, undefined, undefined, undefined, undefined, times))
          notes.set(key, note)
          const r = verifyCheckpointUpdate(state, { note, consistencyProof: [], rootUpdates: [] }, now)
          if (!r.ok) return // e.g. the root expired at that `now`
          const at = r.nextState.cosignedAt
          if (at === null) return
          assert.ok(at <= now, `${at} past now ${now}`)
          assert.ok(at <= Math.max(h1, h2), `${at} past the honest times ${h1}, ${h2}`)
        },
      ),
      { numRuns: 60 },
    )
  })
})
