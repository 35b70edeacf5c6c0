// verifyCommand runs commands in log order: a delivery at or below the log
// index of a command this device already ran is PROTO_OUT_OF_ORDER, so a
// breached server cannot swap two commands ("install v2", "remove v1").
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  verifyCommand, verifyCheckpointUpdate, initialTrustState, encodeTrustState, decodeTrustState, merkle,
  type Delivery, type TrustState, type VerifyResult,
} from '../../dist/node.js'
import { NOW, TestOrg } from '../fixtures/org.js'

const device = { id: 'dev-1' }

async function setup(): Promise<{ org: TestOrg; state: TrustState }> {
  const org = await new TestOrg().init()
  return { org, state: initialTrustState(org.fingerprint, org.rootEnvelopes, NOW) }
}

function accepted(r: VerifyResult): TrustState {
  assert.ok(r.ok, !r.ok ? `${r.code}: ${r.message}` : '')
  return r.nextState
}

function rejected(r: VerifyResult, code: string): void {
  assert.equal(r.ok, false, 'expected a rejection')
  if (!r.ok) assert.equal(r.code, code, r.message)
}

/** A log holding A, an unrelated entry, then B; deliveries of A and B under the checkpoint of the whole log. */
async function twoCommands(): Promise<{ org: TestOrg; state: TrustState; a: Delivery; b: Delivery; i: number; j: number }> {
  const { org, state } = await setup()
  const i = org.append(await org.signCommand({ id: 'install-v2' }))
  org.append('some other entry')
  const j = org.append(await org.signCommand({ id: 'remove-v1' }))
  return { org, state, a: await org.delivery(i), b: await org.delivery(j), i, j }
}

describe('verifyCommand — log order', () => {
  it('a fresh device remembers no index', async () => {
    const { state } = await setup()
    assert.equal(state.lastIndex, null)
  })

  it('runs commands delivered in log order, and lastIndex follows the newest', async () => {
    const { state, a, b, i, j } = await twoCommands()
    const s1 = accepted(verifyCommand(state, a, device, NOW))
    assert.equal(s1.lastIndex, i)
    const s2 = accepted(verifyCommand(s1, b, device, NOW))
    assert.equal(s2.lastIndex, j)
    assert.equal(state.lastIndex, null, 'the input state is not mutated')
  })

  it('refuses a command delivered after one later in the log (PROTO_OUT_OF_ORDER), with both indices as evidence', async () => {
    const { state, a, b, i, j } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    const r = verifyCommand(s1, a, device, NOW)
    rejected(r, 'PROTO_OUT_OF_ORDER')
    if (!r.ok) {
      assert.equal(r.commandId, 'install-v2')
      assert.deepEqual(r.details, { leafIndex: i, lastIndex: j })
      assert.match(r.message, new RegExp(`index ${i}.*index ${j}`))
    }
  })

  it('leaves the state as it was: A never runs, and the next command in order still does', async () => {
    const { org, state, a, b, j } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    rejected(verifyCommand(s1, a, device, NOW), 'PROTO_OUT_OF_ORDER')
    assert.equal(s1.lastIndex, j)
    assert.ok(!('install-v2' in s1.executed))
    rejected(verifyCommand(s1, a, device, NOW + 60), 'PROTO_OUT_OF_ORDER') // and again: not a one-off
    const k = org.append(await org.signCommand({ id: 'after' }))
    const s2 = accepted(verifyCommand(s1, await org.delivery(k, s1), device, NOW))
    assert.equal(s2.lastIndex, k)
  })

  it('still refuses it after the state is saved and loaded', async () => {
    const { state, a, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    const reloaded = decodeTrustState(JSON.parse(JSON.stringify(encodeTrustState(s1))))
    rejected(verifyCommand(reloaded, a, device, NOW), 'PROTO_OUT_OF_ORDER')
  })

  it('answers a redelivery of the command that ran with PROTO_REPLAY, not PROTO_OUT_OF_ORDER (agents treat replays specially)', async () => {
    const { state, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    rejected(verifyCommand(s1, b, device, NOW), 'PROTO_REPLAY')
  })

  it('refuses the index it remembers even for an id it does not (a real log has one leaf per index)', async () => {
    const { state, a, i } = await twoCommands()
    rejected(verifyCommand({ ...state, lastIndex: i }, a, device, NOW), 'PROTO_OUT_OF_ORDER')
    accepted(verifyCommand({ ...state, lastIndex: i - 1 }, a, device, NOW))
  })

  it('judges the index only once it is proven in the log: a bogus low index is PROTO_NOT_IN_LOG', async () => {
    const { state, a, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    rejected(verifyCommand(s1, { ...b, leafIndex: 0 }, device, NOW), 'PROTO_REPLAY') // the id is known: replay first
    rejected(verifyCommand(s1, { ...a, inclusionProof: b.inclusionProof }, device, NOW), 'PROTO_NOT_IN_LOG')
  })

  it('keeps lastIndex across a checkpoint update', async () => {
    const { org, state, b, j } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    org.append('later entry')
    const r = verifyCheckpointUpdate(
      s1,
      { note: await org.checkpointNote(), consistencyProof: merkle.consistencyProof(org.leaves, s1.checkpoint!.size, org.leaves.length), rootUpdates: [] },
      NOW,
    )
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (r.ok) assert.equal(r.nextState.lastIndex, j)
  })
})

describe('trust state with a last log index', () => {
  it('round-trips it through JSON', async () => {
    const { state, b, j } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    const enc = encodeTrustState(s1)
    assert.equal(enc['lastIndex'], j)
    const back = decodeTrustState(JSON.parse(JSON.stringify(enc)))
    assert.equal(back.lastIndex, j)
    assert.deepEqual(encodeTrustState(back), enc)
    assert.equal(decodeTrustState(JSON.parse(JSON.stringify(encodeTrustState(state)))).lastIndex, null)
  })
  it('writes no lastIndex until a command ran, so an older agent (which refuses unknown fields) still loads the state after a downgrade', async () => {
    const { org, state } = await setup()
    const enc = encodeTrustState(state)
    assert.ok(!('lastIndex' in enc), JSON.stringify(Object.keys(enc)))
    // A device that saw a checkpoint but ran nothing: still no lastIndex.
    org.append('some entry')
    const r = verifyCheckpointUpdate(state, { note: await org.checkpointNote(), consistencyProof: [], rootUpdates: [] }, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (r.ok) {
      assert.equal(r.nextState.lastIndex, null)
      assert.deepEqual(Object.keys(encodeTrustState(r.nextState)).sort(), ['checkpoint', 'cosignedAt', 'executed', 'pinned', 'roots', 'version'])
    }
  })
  it('reads a state file written before the field existed as null; the device then runs its next command and remembers its index', async () => {
    const { org, state, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    const { lastIndex: _drop, ...old } = encodeTrustState(s1)
    const loaded = decodeTrustState(JSON.parse(JSON.stringify(old)))
    assert.equal(loaded.lastIndex, null)
    assert.equal(loaded.checkpoint?.size, s1.checkpoint?.size)
    assert.ok('remove-v1' in loaded.executed)
    rejected(verifyCommand(loaded, b, device, NOW), 'PROTO_REPLAY')
    const k = org.append(await org.signCommand({ id: 'after-upgrade' }))
    assert.equal(accepted(verifyCommand(loaded, await org.delivery(k, loaded), device, NOW)).lastIndex, k)
  })
  it('refuses a malformed lastIndex (PROTO_MALFORMED)', async () => {
    const { state, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    for (const lastIndex of [-1, 1.5, '3', Number.MAX_SAFE_INTEGER + 1, true, {}]) {
      assert.throws(() => decodeTrustState({ ...encodeTrustState(s1), lastIndex }), { code: 'PROTO_MALFORMED' }, `lastIndex ${String(lastIndex)}`)
    }
  })
  it('refuses a lastIndex the checkpoint cannot hold: none without a checkpoint, none at or past its size (PROTO_MALFORMED naming state.lastIndex)', async () => {
    const { state, b } = await twoCommands()
    const s1 = accepted(verifyCommand(state, b, device, NOW))
    const size = s1.checkpoint!.size
    const refusals: [Record<string, unknown>, string][] = [
      [{ ...encodeTrustState(state), lastIndex: 0 }, 'no checkpoint'],
      [{ ...encodeTrustState(s1), checkpoint: null }, 'checkpoint dropped'],
      [{ ...encodeTrustState(s1), lastIndex: size }, 'at the size'],
      [{ ...encodeTrustState(s1), lastIndex: Number.MAX_SAFE_INTEGER }, 'far past the size'],
    ]
    for (const [enc, what] of refusals) {
      assert.throws(() => decodeTrustState(enc), (e: Error & { code?: string }) => e.code === 'PROTO_MALFORMED' && e.message.includes('state.lastIndex'), what)
    }
    assert.equal(decodeTrustState({ ...encodeTrustState(s1), lastIndex: size - 1 }).lastIndex, size - 1)
    assert.equal(decodeTrustState({ ...encodeTrustState(s1), lastIndex: 0 }).lastIndex, 0)
    assert.equal(decodeTrustState({ ...encodeTrustState(state), lastIndex: null }).lastIndex, null, 'an explicit null still loads')
  })
})

describe('whatever order the server delivers in', () => {
  it('the commands that run are in strictly increasing log order, and each in-order one runs', async () => {
    const { org, state } = await setup()
    const ids: string[] = []
    for (let k = 0; k < 6; k++) {
      if (k % 2 === 1) org.append(`filler ${k}`)
      const id = `cmd-order-${k}`
      org.append(await org.signCommand({ id }))
      ids.push(id)
    }
    // Every delivery is under the checkpoint of the whole log: no consistency proof is ever needed.
    const deliveries = await Promise.all(org.leaves.map(async (_, index) => ({ index, delivery: await org.delivery(index) })))
    const commands = deliveries.filter((d) => verifyCommand(state, d.delivery, device, NOW).ok)
    assert.equal(commands.length, ids.length, 'every command entry verifies on its own')
    fc.assert(
      fc.property(fc.array(fc.nat({ max: commands.length - 1 }), { maxLength: 24 }), (order) => {
        let s = state
        const ran: number[] = []
        for (const pick of order) {
          const { index, delivery } = commands[pick]!
          const r = verifyCommand(s, delivery, device, NOW)
          const last = ran.length === 0 ? -1 : ran[ran.length - 1]!
          if (index > last) {
            assert.ok(r.ok, !r.ok ? `index ${index} after ${last}: ${r.code}` : '')
          } else {
            assert.equal(r.ok, false, `index ${index} ran after index ${last}`)
            if (!r.ok) assert.equal(r.code, ran.includes(index) ? 'PROTO_REPLAY' : 'PROTO_OUT_OF_ORDER')
          }
          if (r.ok) {
            ran.push(index)
            s = r.nextState
            assert.equal(s.lastIndex, index)
          }
        }
        for (let k = 1; k < ran.length; k++) assert.ok(ran[k]! > ran[k - 1]!, `ran ${ran.join(', ')}`)
      }),
      { numRuns: 200 },
    )
  })
})
