// DSSE signing and (t, n) verification: the spec's ECDSA vector, the DSSE
// protocol vectors, Ed25519 round trips, and how distinct keys are counted.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as nc from 'node:crypto'
import fc from 'fast-check'
import {
  addSignature,
  DSSE_LIMITS,
  ed25519Signer,
  formatEnvelope,
  pae,
  parseEnvelope,
  signEnvelope,
  verifyEnvelope,
  verifyEnvelopeWith,
  type Envelope,
  type Signer,
  type TrustedKey,
  type VerifierKey,
} from '../../dist/dsse/index.js'
import { nodeCrypto, nodePublicKey } from '../../dist/crypto/ed25519-node.js'
import { webCryptoEd25519, type SubtleEd25519 } from '../../dist/crypto/ed25519-webcrypto.js'
import type { CryptoProvider } from '../../dist/crypto/provider.js'
import { fromHex, fromUtf8, utf8 } from '../../dist/bytes.js'
import { isProtocolError, ProtocolError, type ProtocolErrorCode } from '../../dist/errors.js'
import { vectorJson } from '../vectors.js'

interface ProtocolVector {
  id: string
  envelope: Record<string, unknown> & { payloadType: string }
  trustedKeys: string[]
  threshold: number
  supportedPayloadTypes: string[]
  expect: 'accept' | 'reject'
}
interface DsseVectors {
  spec_vector: { payloadType: string; payloadUtf8: string; paeUtf8: string; key: { spki_pem: string }; envelope: Record<string, unknown> }
  protocol_vectors: { keys: Record<string, { seed: string; public: string }>; vectors: ProtocolVector[] }
}
const V = vectorJson<DsseVectors>('dsse.json')

const TYPE = 'application/vnd.palisade.test+json'
const PAYLOAD = utf8('{"run":"uptime"}')
const code = (c: ProtocolErrorCode) => (e: unknown) => isProtocolError(e, c)
const thresholdError = (required: number, valid: number) => (e: unknown) =>
  isProtocolError(e, 'PROTO_SIG_THRESHOLD') && e.details?.['required'] === required && e.details?.['valid'] === valid

function seedOf(name: string): Uint8Array {
  return new Uint8Array(nc.createHash('sha256').update(`palisade dsse test key ${name}`).digest())
}
const people = ['alice', 'bob', 'carol', 'dave', 'mallory'] as const
type Person = (typeof people)[number]
const seeds = Object.fromEntries(people.map((p) => [p, seedOf(p)])) as Record<Person, Uint8Array>
const pubs = Object.fromEntries(people.map((p) => [p, nodePublicKey(seeds[p])])) as Record<Person, Uint8Array>
const signer = (who: Person, keyid: string = who): Signer => ed25519Signer(keyid, seeds[who])
const trusted = (...who: Person[]): TrustedKey[] => who.map((p) => ({ keyid: p, publicKey: pubs[p] }))

/** An envelope whose signature list is given explicitly (to build duplicates, aliases, mislabels). */
async function envelopeWith(sigs: { by: Person; keyid: string }[], payloadType = TYPE, payload = PAYLOAD): Promise<Envelope> {
  let env = await signEnvelope(payloadType, payload, [])
  for (const s of sigs) env = await addSignature(env, signer(s.by, s.keyid))
  return env
}

describe('DSSE spec vector (ECDSA P-256) through verifyEnvelopeWith', () => {
  const spec = V.spec_vector
  const key = nc.createPublicKey(spec.key.spki_pem)
  const ecdsa: VerifierKey = {
    keyid: '66301bbf',
    publicKey: new Uint8Array(key.export({ format: 'der', type: 'spki' })),
    verify: (m, s) => nc.verify('sha256', m, { key, dsaEncoding: 'ieee-p1363' }, s),
  }
  const policy = { payloadType: spec.payloadType, keys: [ecdsa], threshold: 1 }

  it('verifies, over the PAE the spec prints, with node:crypto and IEEE P1363 signatures', () => {
    const env = parseEnvelope(JSON.stringify(spec.envelope))
    assert.equal(fromUtf8(pae(env.payloadType, env.payload)), spec.paeUtf8)
    const out = verifyEnvelopeWith(env, policy)
    assert.equal(fromUtf8(out.payload), spec.payloadUtf8)
    assert.deepEqual(out.signedBy, ['66301bbf'])
  })

  it('verifies the protocol.md rendering without a keyid as well', () => {
    const env = parseEnvelope({ ...spec.envelope, signatures: [{ sig: (spec.envelope['signatures'] as { sig: string }[])[0]!.sig }] })
    assert.deepEqual(verifyEnvelopeWith(env, policy).signedBy, ['66301bbf'])
  })

  it('fails with PROTO_SIG_THRESHOLD when one payload byte changes', () => {
    const env = parseEnvelope(JSON.stringify(spec.envelope))
    const payload = env.payload.slice()
    payload[0]! ^= 1
    assert.throws(() => verifyEnvelopeWith({ ...env, payload }, policy), thresholdError(1, 0))
  })

  it('fails with PROTO_SIG_THRESHOLD when the payload type is changed and the verifier expects the new type', () => {
    const env = parseEnvelope(JSON.stringify(spec.envelope))
    const other = 'http://example.com/HelloWorle'
    assert.throws(() => verifyEnvelopeWith({ ...env, payloadType: other }, { ...policy, payloadType: other }), thresholdError(1, 0))
  })
})

describe('DSSE protocol test vectors (secure-systems-lab/dsse testvectors/vectors.json)', () => {
  const P = V.protocol_vectors
  const keys = (names: string[]): TrustedKey[] => names.map((n) => ({ keyid: n, publicKey: fromHex(P.keys[n]!.public) }))

  for (const v of P.vectors) {
    if (v.id === 'url-safe-base64') {
      it('url-safe-base64: refused by parseEnvelope (standard base64 only, a deliberate deviation); verifies once re-encoded in standard base64', () => {
        assert.throws(() => parseEnvelope(JSON.stringify(v.envelope)), code('PROTO_MALFORMED'))
        const std = (s: string) => s.replace(/-/g, '+').replace(/_/g, '/')
        const sigs = v.envelope['signatures'] as { keyid: string; sig: string }[]
        const env = parseEnvelope({ ...v.envelope, payload: std(v.envelope['payload'] as string), signatures: sigs.map((s) => ({ ...s, sig: std(s.sig) })) })
        assert.deepEqual(verifyEnvelope(env, { payloadType: v.envelope.payloadType, keys: keys(v.trustedKeys), threshold: v.threshold }).signedBy, ['A'])
      })
      continue
    }
    it(`${v.id}: ${v.expect}s`, () => {
      const env = parseEnvelope(JSON.stringify(v.envelope))
      const payloadType = v.supportedPayloadTypes.includes(env.payloadType) ? env.payloadType : v.supportedPayloadTypes[0]!
      const run = () => verifyEnvelope(env, { payloadType, keys: keys(v.trustedKeys), threshold: v.threshold })
      if (v.expect === 'accept') {
        assert.equal(run().signedBy.length, v.threshold)
      } else {
        assert.throws(run, (e) => isProtocolError(e, 'PROTO_PAYLOAD_TYPE') || isProtocolError(e, 'PROTO_SIG_THRESHOLD'))
      }
    })
  }

  it('rejects each with the specific code: swapped type → PROTO_SIG_THRESHOLD, empty type → PROTO_PAYLOAD_TYPE, one key twice → 1 of 2', () => {
    const byId = (id: string) => P.vectors.find((v) => v.id === id)!
    const verify = (v: ProtocolVector, payloadType: string) =>
      verifyEnvelope(parseEnvelope(JSON.stringify(v.envelope)), { payloadType, keys: keys(v.trustedKeys), threshold: v.threshold })
    const swapped = byId('payload-type-swapped')
    assert.throws(() => verify(swapped, swapped.envelope.payloadType), thresholdError(1, 0))
    assert.throws(() => verify(byId('empty-payload-type'), 'application/vnd.in-toto+json'), code('PROTO_PAYLOAD_TYPE'))
    assert.throws(() => verify(byId('threshold-two-one-key-twice'), 'application/vnd.in-toto+json'), thresholdError(2, 1))
  })
})

describe('DSSE Ed25519 round trips', () => {
  it('signEnvelope → formatEnvelope → parseEnvelope → verifyEnvelope returns the payload and the signers in policy order', async () => {
    const env = await signEnvelope(TYPE, PAYLOAD, [signer('carol'), signer('alice'), signer('bob')])
    const out = verifyEnvelope(parseEnvelope(formatEnvelope(env)), { payloadType: TYPE, keys: trusted('alice', 'bob', 'carol'), threshold: 3 })
    assert.deepEqual(out.payload, PAYLOAD)
    assert.deepEqual(out.signedBy, ['alice', 'bob', 'carol'])
    assert.ok(Object.isFrozen(out))
  })

  it('addSignature collects approvals one at a time and leaves the earlier envelope unchanged', async () => {
    const draft = await signEnvelope(TYPE, PAYLOAD, [])
    const one = await addSignature(draft, signer('alice'))
    const two = await addSignature(one, signer('bob'))
    assert.equal(draft.signatures.length, 0)
    assert.equal(one.signatures.length, 1)
    const policy = { payloadType: TYPE, keys: trusted('alice', 'bob', 'carol'), threshold: 2 }
    assert.throws(() => verifyEnvelope(one, policy), thresholdError(2, 1))
    assert.deepEqual(verifyEnvelope(two, policy).signedBy, ['alice', 'bob'])
  })

  it('a WebCrypto signature verifies through the node:crypto provider (same bytes)', async () => {
    const web = webCryptoEd25519(globalThis.crypto.subtle as unknown as SubtleEd25519)
    const env = await signEnvelope(TYPE, PAYLOAD, [ed25519Signer('alice', seeds.alice, web)])
    const viaNode = await signEnvelope(TYPE, PAYLOAD, [signer('alice')])
    assert.deepEqual(env.signatures[0]!.sig, viaNode.signatures[0]!.sig)
    assert.deepEqual(verifyEnvelope(env, { payloadType: TYPE, keys: trusted('alice'), threshold: 1 }).signedBy, ['alice'])
  })

  it('uses the crypto provider passed in', async () => {
    const env = await signEnvelope(TYPE, PAYLOAD, [signer('alice')])
    let calls = 0
    const counting: CryptoProvider = { ...nodeCrypto, verify: (k, m, s) => (calls++, nodeCrypto.verify(k, m, s)) }
    verifyEnvelope(env, { payloadType: TYPE, keys: trusted('alice'), threshold: 1 }, counting)
    assert.equal(calls, 1)
  })

  it('signEnvelope copies the payload: changing the caller buffer afterwards changes nothing', async () => {
    const buf = PAYLOAD.slice()
    const env = await signEnvelope(TYPE, buf, [signer('alice')])
    buf[0] = 0
    assert.deepEqual(env.payload, PAYLOAD)
    assert.deepEqual(verifyEnvelope(env, { payloadType: TYPE, keys: trusted('alice'), threshold: 1 }).signedBy, ['alice'])
  })
})

describe('DSSE threshold counting', () => {
  const policy = (threshold: number, keys = trusted('alice', 'bob', 'carol')) => ({ payloadType: TYPE, keys, threshold })

  it('one key listed twice (same keyid) counts once: 1 of 2', async () => {
    const env = await envelopeWith([{ by: 'alice', keyid: 'alice' }, { by: 'alice', keyid: 'alice' }])
    assert.throws(() => verifyEnvelope(env, policy(2)), thresholdError(2, 1))
  })

  it('one key under two keyids the policy maps to the same public key counts once, reported under its first keyid', async () => {
    const keys = [...trusted('alice', 'bob'), { keyid: 'alice-laptop', publicKey: pubs.alice.slice() }]
    const env = await envelopeWith([{ by: 'alice', keyid: 'alice' }, { by: 'alice', keyid: 'alice-laptop' }])
    assert.throws(() => verifyEnvelope(env, policy(2, keys)), thresholdError(2, 1))
    const both = await addSignature(env, signer('bob'))
    assert.deepEqual(verifyEnvelope(both, policy(2, keys)).signedBy, ['alice', 'bob'])
  })

  it('the same signature bytes under different keyid strings count once', async () => {
    const env = await envelopeWith([{ by: 'alice', keyid: 'alice' }])
    const sig = env.signatures[0]!.sig
    const copies: Envelope = { ...env, signatures: [{ keyid: 'alice', sig }, { keyid: 'bob', sig }, { keyid: '', sig }] }
    assert.throws(() => verifyEnvelope(copies, policy(2)), thresholdError(2, 1))
  })

  it('signatures by unknown keys are ignored, even when labelled with a trusted keyid', async () => {
    const env = await envelopeWith([
      { by: 'mallory', keyid: 'mallory' },
      { by: 'mallory', keyid: 'alice' },
      { by: 'bob', keyid: 'bob' },
    ])
    assert.throws(() => verifyEnvelope(env, policy(2)), thresholdError(2, 1))
    assert.deepEqual(verifyEnvelope(env, policy(1)).signedBy, ['bob'])
  })

  it('keyid selects the key: an absent keyid tries every key, a wrong or unknown one loses only that signature', async () => {
    const env = await envelopeWith([
      { by: 'alice', keyid: 'bob' },
      { by: 'bob', keyid: 'bob' },
      { by: 'carol', keyid: '' },
    ])
    assert.deepEqual(verifyEnvelope(env, policy(2)).signedBy, ['bob', 'carol'])
    const unknownId = await envelopeWith([{ by: 'carol', keyid: 'who?' }])
    assert.throws(() => verifyEnvelope(unknownId, policy(1)), thresholdError(1, 0))
  })

  it('tries each trusted key at most twice, however many signatures name it', async () => {
    const sigs = Array.from({ length: 30 }, () => ({ by: 'mallory' as const, keyid: '' }))
    const env = await envelopeWith(sigs)
    let calls = 0
    const counting: CryptoProvider = { ...nodeCrypto, verify: (k, m, s) => (calls++, nodeCrypto.verify(k, m, s)) }
    assert.throws(() => verifyEnvelope(env, policy(1), counting), thresholdError(1, 0))
    assert.equal(calls, 2 * 3)
  })

  it('one signature short of the threshold is PROTO_SIG_THRESHOLD with details { required, valid }', async () => {
    const env = await envelopeWith([{ by: 'alice', keyid: 'alice' }, { by: 'bob', keyid: 'bob' }])
    assert.throws(
      () => verifyEnvelope(env, policy(3)),
      (e) => {
        assert.ok(e instanceof ProtocolError)
        assert.equal(e.code, 'PROTO_SIG_THRESHOLD')
        assert.deepEqual(e.details, { required: 3, valid: 2, signedBy: ['alice', 'bob'] })
        return true
      },
    )
    assert.deepEqual(verifyEnvelope(env, policy(2)).signedBy, ['alice', 'bob'])
  })

  it('a threshold above the number of trusted keys is never met', async () => {
    const env = await envelopeWith([{ by: 'alice', keyid: 'alice' }, { by: 'bob', keyid: 'bob' }])
    assert.throws(() => verifyEnvelope(env, policy(3, trusted('alice', 'bob'))), thresholdError(3, 2))
  })

  it('counts exactly the distinct trusted signers, for random signature lists', async () => {
    const sigArb = fc.record({ by: fc.constantFrom(...people), keyid: fc.constantFrom('', 'alice', 'bob', 'carol', 'x') })
    await fc.assert(
      fc.asyncProperty(fc.array(sigArb, { maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (sigs, threshold) => {
        const env = await envelopeWith(sigs)
        // The documented rule, simulated: keyid selects the candidate keys
        // ('' = all, in policy order), each key is tried at most twice, a
        // signature is accepted by the key that made it.
        const keys = ['alice', 'bob', 'carol']
        const tries = new Map<string, number>()
        const distinct = new Set<string>()
        for (const sig of sigs) {
          for (const k of sig.keyid === '' ? keys : keys.filter((k) => k === sig.keyid)) {
            if (distinct.has(k) || (tries.get(k) ?? 0) >= 2) continue
            tries.set(k, (tries.get(k) ?? 0) + 1)
            if (k === sig.by) {
              distinct.add(k)
              break
            }
          }
        }
        const expected = ['alice', 'bob', 'carol'].filter((p) => distinct.has(p))
        if (distinct.size >= threshold) assert.deepEqual(verifyEnvelope(env, policy(threshold)).signedBy, expected)
        else assert.throws(() => verifyEnvelope(env, policy(threshold)), thresholdError(threshold, distinct.size))
      }),
      { numRuns: 100 },
    )
  })
})

describe('DSSE verification refuses tampering', () => {
  const policy = { payloadType: TYPE, keys: trusted('alice', 'bob'), threshold: 2 }
  const signed = () => signEnvelope(TYPE, PAYLOAD, [signer('alice'), signer('bob')])

  it('a changed payload fails with PROTO_SIG_THRESHOLD (0 valid)', async () => {
    const env = await signed()
    const payload = env.payload.slice()
    payload[payload.length - 1]! ^= 0x20
    assert.throws(() => verifyEnvelope({ ...env, payload }, policy), thresholdError(2, 0))
    assert.throws(() => verifyEnvelope({ ...env, payload: utf8('{"run":"rm -rf /"}') }, policy), thresholdError(2, 0))
  })

  it('a payload type other than the expected one fails with PROTO_PAYLOAD_TYPE before any signature check', async () => {
    const env = await signed()
    let calls = 0
    const counting: CryptoProvider = { ...nodeCrypto, verify: (k, m, s) => (calls++, nodeCrypto.verify(k, m, s)) }
    assert.throws(
      () => verifyEnvelope({ ...env, payloadType: 'application/vnd.palisade.other+json' }, policy, counting),
      (e) => isProtocolError(e, 'PROTO_PAYLOAD_TYPE') && e.details?.['expected'] === TYPE && e.details?.['actual'] === 'application/vnd.palisade.other+json',
    )
    assert.equal(calls, 0)
  })

  it('a changed payload type that the verifier does expect fails with PROTO_SIG_THRESHOLD: the type is signed', async () => {
    const env = await signed()
    const other = 'application/vnd.palisade.other+json'
    assert.throws(() => verifyEnvelope({ ...env, payloadType: other }, { ...policy, payloadType: other }), thresholdError(2, 0))
  })

  it('a flipped signature bit drops that signer', async () => {
    const env = await signed()
    const sig = env.signatures[1]!.sig.slice()
    sig[10]! ^= 1
    const broken: Envelope = { ...env, signatures: [env.signatures[0]!, { keyid: 'bob', sig }] }
    assert.throws(() => verifyEnvelope(broken, policy), thresholdError(2, 1))
  })
})

describe('DSSE verification policy and signer errors', () => {
  it('a threshold that is not a positive integer is PROTO_MALFORMED', async () => {
    const env = await signEnvelope(TYPE, PAYLOAD, [signer('alice')])
    for (const threshold of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => verifyEnvelope(env, { payloadType: TYPE, keys: trusted('alice'), threshold }), code('PROTO_MALFORMED'), String(threshold))
    }
  })

  it('an Ed25519 policy key that is not 32 bytes is PROTO_KEY_INVALID', async () => {
    const env = await signEnvelope(TYPE, PAYLOAD, [signer('alice')])
    assert.throws(() => verifyEnvelope(env, { payloadType: TYPE, keys: [{ keyid: 'a', publicKey: new Uint8Array(31) }], threshold: 1 }), code('PROTO_KEY_INVALID'))
  })

  it('a generic verifier that throws counts as a failed signature, not a crash', async () => {
    const env = await signEnvelope(TYPE, PAYLOAD, [signer('alice'), signer('bob')])
    const keys: VerifierKey[] = [
      { keyid: 'alice', publicKey: pubs.alice, verify: () => { throw new Error('boom') } },
      { keyid: 'bob', publicKey: pubs.bob, verify: (m, s) => nodeCrypto.verify(pubs.bob, m, s) },
    ]
    assert.throws(() => verifyEnvelopeWith(env, { payloadType: TYPE, keys, threshold: 2 }), thresholdError(2, 1))
    assert.deepEqual(verifyEnvelopeWith(env, { payloadType: TYPE, keys, threshold: 1 }).signedBy, ['bob'])
  })

  it('signEnvelope refuses more than 32 signers and addSignature a 33rd signature (PROTO_TOO_LARGE)', async () => {
    const many = Array.from({ length: DSSE_LIMITS.maxSignatures + 1 }, () => signer('alice'))
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, many), code('PROTO_TOO_LARGE'))
    const full = await signEnvelope(TYPE, PAYLOAD, many.slice(1))
    await assert.rejects(addSignature(full, signer('bob')), code('PROTO_TOO_LARGE'))
  })

  it('signEnvelope refuses an oversize payload, a bad type and a bad keyid', async () => {
    await assert.rejects(signEnvelope(TYPE, new Uint8Array(DSSE_LIMITS.maxPayloadBytes + 1), []), code('PROTO_TOO_LARGE'))
    await assert.rejects(signEnvelope('\ud800', PAYLOAD, []), code('PROTO_MALFORMED'))
    assert.throws(() => ed25519Signer('k'.repeat(257), seeds.alice), code('PROTO_TOO_LARGE'))
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, [{ keyid: '\udc00', sign: async () => new Uint8Array(64) }]), code('PROTO_MALFORMED'))
  })

  it('a signer that returns no signature bytes is PROTO_MALFORMED', async () => {
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, [{ keyid: 'k', sign: async () => new Uint8Array() }]), code('PROTO_MALFORMED'))
    await assert.rejects(signEnvelope(TYPE, PAYLOAD, [{ keyid: 'k', sign: async () => 'sig' as unknown as Uint8Array }]), code('PROTO_MALFORMED'))
  })

  it('signers sign the PAE, not the bare payload', async () => {
    let seen: Uint8Array | undefined
    await signEnvelope(TYPE, PAYLOAD, [{ keyid: 'k', sign: async (m) => ((seen = m), new Uint8Array(64)) }])
    assert.deepEqual(seen, pae(TYPE, PAYLOAD))
  })
})
