import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  ProtocolError, verifyAnchorRoot, verifyRootChain, verifyRootUpdate, parseRoot, rootFingerprint, dsse, canonicalJsonBytes,
  toBase64, ROOT_TYPE,
} from '../../dist/node.js'
import { key, NOW, TestOrg, type Key } from '../fixtures/org.js'
import { errorCode as code } from '../fixtures/error-code.js'

function next(org: TestOrg, version: number, over: Record<string, unknown> = {}): Record<string, any> {
  return { ...org.rootObject, version, ...over }
}

function adminsOf(keys: Key[]): unknown[] {
  return keys.map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) }))
}

describe('root anchor', () => {
  it('accepts v1 whose fingerprint matches the pin and which a root threshold of its own keys signed', async () => {
    const org = await new TestOrg().init()
    const r = verifyAnchorRoot(org.rootEnvelopes[0]!, org.fingerprint)
    assert.equal(r.root.version, 1)
    assert.equal(r.root.org, 'acme')
  })
  it('refuses a root whose fingerprint is not the pinned one (PROTO_ROOT_FINGERPRINT)', async () => {
    const org = await new TestOrg().init()
    assert.equal(code(() => verifyAnchorRoot(org.rootEnvelopes[0]!, '0'.repeat(64))), 'PROTO_ROOT_FINGERPRINT')
  })
  it('refuses a malformed pin (PROTO_MALFORMED)', async () => {
    const org = await new TestOrg().init()
    assert.equal(code(() => verifyAnchorRoot(org.rootEnvelopes[0]!, 'ABC')), 'PROTO_MALFORMED')
  })
  it('refuses v1 signed by one key short of its root threshold (PROTO_ROOT_SIG)', async () => {
    const org = new TestOrg()
    const env = await org.signRoot(org.rootObject, org.admins.slice(0, 1))
    const fp = rootFingerprint(dsse.parseEnvelope(env).payload)
    assert.equal(code(() => verifyAnchorRoot(env, fp)), 'PROTO_ROOT_SIG')
  })
  it('counts the same key signing twice once (PROTO_ROOT_SIG)', async () => {
    const org = new TestOrg()
    const a = org.admins[0]!
    const env = await org.signRoot(org.rootObject, [a, a])
    const fp = rootFingerprint(dsse.parseEnvelope(env).payload)
    assert.equal(code(() => verifyAnchorRoot(env, fp)), 'PROTO_ROOT_SIG')
  })
})

describe('root rotation', () => {
  it('accepts v2 signed by a threshold of v1 keys and of v2 keys', async () => {
    const org = await new TestOrg().init()
    const v2 = await org.signRoot(next(org, 2), org.admins.slice(1, 3))
    const chain = verifyRootChain({ pinned: org.fingerprint }, [...org.rootEnvelopes, v2], NOW)
    assert.deepEqual(chain.map((r) => r.root.version), [1, 2])
  })
  it('refuses a rotation signed only by the new keys (PROTO_ROOT_SIG)', async () => {
    const org = await new TestOrg().init()
    const fresh = [key('new/0'), key('new/1'), key('new/2')]
    const v2 = await org.signRoot(next(org, 2, { admins: adminsOf(fresh) }), fresh.slice(0, 2))
    const v1 = verifyAnchorRoot(org.rootEnvelopes[0]!, org.fingerprint)
    assert.equal(code(() => verifyRootUpdate(v1, v2)), 'PROTO_ROOT_SIG')
  })
  it('refuses a rotation signed only by the old keys (PROTO_ROOT_SIG)', async () => {
    const org = await new TestOrg().init()
    const fresh = [key('new/0'), key('new/1'), key('new/2')]
    const v2 = await org.signRoot(next(org, 2, { admins: adminsOf(fresh) }), org.admins.slice(0, 2))
    const v1 = verifyAnchorRoot(org.rootEnvelopes[0]!, org.fingerprint)
    assert.equal(code(() => verifyRootUpdate(v1, v2)), 'PROTO_ROOT_SIG')
  })
  it('accepts a full key rotation signed by both key sets', async () => {
    const org = await new TestOrg().init()
    const fresh = [key('new/0'), key('new/1'), key('new/2')]
    const v2 = await org.signRoot(next(org, 2, { admins: adminsOf(fresh) }), [...org.admins.slice(0, 2), ...fresh.slice(0, 2)])
    const v1 = verifyAnchorRoot(org.rootEnvelopes[0]!, org.fingerprint)
    assert.equal(verifyRootUpdate(v1, v2).root.admins[0]!.id, fresh[0]!.id)
  })
  it('refuses going back to an older or equal version (PROTO_ROOT_ROLLBACK)', async () => {
    const org = await new TestOrg().init()
    const v2 = await org.signRoot(next(org, 2), org.admins.slice(0, 2))
    const [, r2] = verifyRootChain({ pinned: org.fingerprint }, [...org.rootEnvelopes, v2], NOW)
    assert.equal(code(() => verifyRootUpdate(r2!, org.rootEnvelopes[0]!)), 'PROTO_ROOT_ROLLBACK')
    assert.equal(code(() => verifyRootUpdate(r2!, v2)), 'PROTO_ROOT_ROLLBACK')
  })
  it('refuses skipping a version (PROTO_ROOT_SKIPPED)', async () => {
    const org = await new TestOrg().init()
    const v3 = await org.signRoot(next(org, 3), org.admins.slice(0, 2))
    assert.equal(code(() => verifyRootChain({ pinned: org.fingerprint }, [...org.rootEnvelopes, v3], NOW)), 'PROTO_ROOT_SKIPPED')
  })
  it('refuses a successor for another organisation (PROTO_ORG_MISMATCH)', async () => {
    const org = await new TestOrg().init()
    const v2 = await org.signRoot(next(org, 2, { org: 'other' }), org.admins.slice(0, 2))
    assert.equal(code(() => verifyRootChain({ pinned: org.fingerprint }, [...org.rootEnvelopes, v2], NOW)), 'PROTO_ORG_MISMATCH')
  })
  it('refuses a chain whose newest root has expired (PROTO_ROOT_EXPIRED)', async () => {
    const org = await new TestOrg().init()
    assert.equal(code(() => verifyRootChain({ pinned: org.fingerprint }, org.rootEnvelopes, NOW + 366 * 86400)), 'PROTO_ROOT_EXPIRED')
  })
  it('follows an expired intermediate root to a live successor', async () => {
    const org = new TestOrg()
    org.rootObject.expiresAt = NOW - 10
    await org.init()
    const v2 = await org.signRoot(next(org, 2, { expiresAt: NOW + 86400 }), org.admins.slice(0, 2))
    assert.equal(verifyRootChain({ pinned: org.fingerprint }, [...org.rootEnvelopes, v2], NOW).length, 2)
  })
  it('refuses an envelope of another payload type (PROTO_PAYLOAD_TYPE)', async () => {
    const org = await new TestOrg().init()
    const cmd = await org.signCommand()
    const v1 = verifyAnchorRoot(org.rootEnvelopes[0]!, org.fingerprint)
    assert.equal(code(() => verifyRootUpdate(v1, cmd)), 'PROTO_PAYLOAD_TYPE')
  })
})

describe('every rotation chain with one signature short', () => {
  it('fails, for random key sets and thresholds', async () => {
    const pool = Array.from({ length: 8 }, (_, i) => key(`pool/${i}`))
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }),
        fc.nat(), fc.nat(), fc.boolean(),
        async (k1, k2, t1r, t2r, shortOld) => {
          const keys1 = k1.map((i) => pool[i]!)
          const keys2 = k2.map((i) => pool[i]!)
          const t1 = 1 + (t1r % keys1.length)
          const t2 = 1 + (t2r % keys2.length)
          const org = new TestOrg()
          const th = (t: number) => ({ command: t, policy: t, root: t, device: t })
          const r1 = { ...org.rootObject, admins: adminsOf(keys1), thresholds: th(t1) }
          const e1 = await org.signRoot(r1, keys1.slice(0, t1))
          const fp = rootFingerprint(dsse.parseEnvelope(e1).payload)
          const anchor = verifyAnchorRoot(e1, fp)
          const r2 = { ...r1, version: 2, admins: adminsOf(keys2), thresholds: th(t2) }
          // Exactly the thresholds, from the old set and from the new set...
          let old = keys1.slice(0, t1)
          let neu = keys2.filter((k) => !old.includes(k)).slice(0, Math.max(0, t2 - keys2.filter((k) => old.includes(k)).length))
          const full = await org.signRoot(r2, [...old, ...neu])
          assert.equal(verifyRootUpdate(anchor, full).root.version, 2)
          // ...then drop one signature that one of the two thresholds needs.
          const signers = [...new Set([...old, ...neu])]
          const oldCount = signers.filter((k) => keys1.includes(k)).length
          const newCount = signers.filter((k) => keys2.includes(k)).length
          const victim = shortOld
            ? signers.find((k) => keys1.includes(k) && oldCount === t1) ?? signers.find((k) => keys2.includes(k) && newCount === t2)
            : signers.find((k) => keys2.includes(k) && newCount === t2) ?? signers.find((k) => keys1.includes(k) && oldCount === t1)
          if (victim === undefined) return // both thresholds were over-met by overlap
          const short = await org.signRoot(r2, signers.filter((k) => k !== victim))
          assert.equal(code(() => verifyRootUpdate(anchor, short)), 'PROTO_ROOT_SIG')
          void old; void neu
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('parseRoot', () => {
  const base = () => new TestOrg().rootObject
  const bad = (mut: (r: Record<string, any>) => void): string => {
    const r = structuredClone(base())
    mut(r)
    return code(() => parseRoot(canonicalJsonBytes(r)))
  }
  it('accepts the fixture root', () => assert.equal(parseRoot(canonicalJsonBytes(base())).type, ROOT_TYPE))
  it('refuses an unknown field', () => assert.equal(bad((r) => (r.extra = 1)), 'PROTO_MALFORMED'))
  it('refuses an admin id that is not its key id', () => assert.equal(bad((r) => (r.admins[0].id = '0'.repeat(16))), 'PROTO_MALFORMED'))
  it('refuses the same key listed twice', () => assert.equal(bad((r) => (r.admins[1] = { ...r.admins[0], name: 'x' })), 'PROTO_MALFORMED'))
  it('refuses a threshold above the number of admins', () => assert.equal(bad((r) => (r.thresholds.command = 4)), 'PROTO_MALFORMED'))
  it('refuses a zero threshold', () => assert.equal(bad((r) => (r.thresholds.root = 0)), 'PROTO_MALFORMED'))
  it('refuses a missing threshold', () => assert.equal(bad((r) => delete r.thresholds.device), 'PROTO_MALFORMED'))
  it('refuses a witness quorum above the witness count', () => assert.equal(bad((r) => (r.witnesses.quorum = 3)), 'PROTO_MALFORMED'))
  it('refuses expiry before issue', () => assert.equal(bad((r) => (r.expiresAt = r.issuedAt)), 'PROTO_MALFORMED'))
  it('refuses a fractional version', () => assert.equal(bad((r) => (r.version = 1.5)), 'PROTO_MALFORMED'))
  it('refuses a 31-byte admin key', () => assert.equal(bad((r) => (r.admins[0].publicKey = toBase64(new Uint8Array(31)))), 'PROTO_KEY_INVALID'))
  it('refuses a multi-line log origin', () => assert.equal(bad((r) => (r.log.origin = 'a\nb')), 'PROTO_MALFORMED'))
  it('returns a frozen value', () => assert.ok(Object.isFrozen(parseRoot(canonicalJsonBytes(base())).admins)))
  it('returns a value or a ProtocolError for thousands of mutated roots', () => {
    const text = new TextDecoder().decode(canonicalJsonBytes(base()))
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 127 }), fc.nat({ max: 3 }), (at, ch, op) => {
        const mutated = op === 0 ? text.slice(0, at) : op === 1 ? text.slice(0, at) + String.fromCharCode(ch) + text.slice(at + 1) : op === 2 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + String.fromCharCode(ch) + text.slice(at)
        try {
          parseRoot(mutated)
        } catch (e) {
          assert.ok(e instanceof ProtocolError)
        }
      }),
      { numRuns: 3000 },
    )
  })
})
