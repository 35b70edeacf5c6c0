// Both Ed25519 backends against published vectors (RFC 8032, Wycheproof,
// C2SP CCTV), against each other, and against Palisade's one rule.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as nc from 'node:crypto'
import fc from 'fast-check'
import { nodeCrypto, nodeEd25519, nodePublicKey, nodeSign, nodeVerify } from '../../dist/crypto/ed25519-node.js'
import { webCryptoEd25519, type SubtleEd25519 } from '../../dist/crypto/ed25519-webcrypto.js'
import { passesEncodingRule } from '../../dist/crypto/ed25519-rule.js'
import { cryptoProvider } from '../../dist/crypto/provider.js'
import { fromHex, toHex, utf8 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { vectorJson } from '../vectors.js'

const web = webCryptoEd25519(globalThis.crypto.subtle as unknown as SubtleEd25519)
const backends = [
  { name: 'node:crypto', ed: nodeEd25519 },
  { name: 'webcrypto', ed: web },
] as const

interface Rfc8032 { vectors: { name: string; secretKeyHex: string; publicKeyHex: string; messageHex: string; signatureHex: string }[] }
interface Wycheproof { testGroups: { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid'; flags: string[] }[] }[] }
interface Cctv { number: number; key: string; sig: string; msg: string; flags: string[] | null }

const rfc = vectorJson<Rfc8032>('ed25519-rfc8032.json').vectors
const wycheproof = vectorJson<Wycheproof>('ed25519-wycheproof.json')
const cctv = vectorJson<Cctv[]>('ed25519-cctv-edge-cases.json')

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** node:crypto with no pre-check of ours: the reference the rule must never be stricter than. */
function rawNodeVerify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = nc.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' })
    return nc.verify(null, msg, key, sig)
  } catch {
    return false
  }
}

/** The documented rule on the CCTV set: reject iff R is non-canonical or only the cofactored equation holds. */
function ruleExpects(flags: readonly string[] | null): boolean {
  const f = flags ?? []
  return !(f.includes('non_canonical_R') || f.includes('low_order_residue'))
}

describe('Ed25519 RFC 8032 §7.1 vectors', () => {
  for (const { name, ed } of backends) {
    for (const v of rfc) {
      it(`${name}: ${v.name} derives the public key and signs byte-exactly`, async () => {
        const seed = fromHex(v.secretKeyHex)
        const msg = fromHex(v.messageHex)
        assert.equal(toHex(await ed.publicKey(seed)), v.publicKeyHex)
        assert.equal(toHex(await ed.sign(seed, msg)), v.signatureHex)
        assert.equal(await ed.verify(fromHex(v.publicKeyHex), msg, fromHex(v.signatureHex)), true)
      })
    }
  }
  it('synchronous nodeSign / nodePublicKey / nodeVerify agree with the vectors', () => {
    for (const v of rfc) {
      const seed = fromHex(v.secretKeyHex)
      assert.equal(toHex(nodePublicKey(seed)), v.publicKeyHex)
      assert.equal(toHex(nodeSign(seed, fromHex(v.messageHex))), v.signatureHex)
      assert.equal(nodeVerify(fromHex(v.publicKeyHex), fromHex(v.messageHex), fromHex(v.signatureHex)), true)
    }
  })
})

describe('Ed25519 Wycheproof (151 tests)', () => {
  const cases = wycheproof.testGroups.flatMap((g) => g.tests.map((t) => ({ pk: g.publicKey.pk, ...t })))
  it('has every test of the published file', () => assert.equal(cases.length, 151))
  for (const { name, ed } of backends) {
    it(`${name}: every test gives its expected result`, async () => {
      const wrong: string[] = []
      for (const t of cases) {
        const ok = await ed.verify(fromHex(t.pk), fromHex(t.msg), fromHex(t.sig))
        if (ok !== (t.result === 'valid')) wrong.push(`tcId ${t.tcId} (${t.flags.join(',')}): got ${ok}`)
      }
      assert.deepEqual(wrong, [])
    })
  }
  it('nodeCrypto.verify (the synchronous provider path) gives every expected result', () => {
    for (const t of cases) assert.equal(nodeCrypto.verify(fromHex(t.pk), fromHex(t.msg), fromHex(t.sig)), t.result === 'valid', `tcId ${t.tcId}`)
  })
})

describe('Ed25519 CCTV edge cases (914 vectors)', () => {
  it('has all 914 vectors', () => assert.equal(cctv.length, 914))

  it('both backends give identical answers that equal the documented rule: 706 reject / 208 accept', async () => {
    let accepted = 0
    const wrong: string[] = []
    for (const v of cctv) {
      const pub = fromHex(v.key)
      const sig = fromHex(v.sig)
      const msg = utf8(v.msg)
      const a = nodeVerify(pub, msg, sig)
      const b = await web.verify(pub, msg, sig)
      const c = await nodeEd25519.verify(pub, msg, sig)
      if (a !== b || a !== c) wrong.push(`#${v.number}: node ${a}, webcrypto ${b}, nodeEd25519 ${c}`)
      if (a !== ruleExpects(v.flags)) wrong.push(`#${v.number} (${(v.flags ?? []).join(',')}): got ${a}, rule says ${ruleExpects(v.flags)}`)
      if (a) accepted++
    }
    assert.deepEqual(wrong, [])
    assert.equal(accepted, 208)
    assert.equal(cctv.length - accepted, 706)
  })

  it('the encoding pre-check refuses exactly the non-canonical R encodings and never a signature node:crypto accepts', () => {
    for (const v of cctv) {
      const pub = fromHex(v.key)
      const sig = fromHex(v.sig)
      const pre = passesEncodingRule(pub, sig)
      assert.equal(pre, !(v.flags ?? []).includes('non_canonical_R'), `#${v.number}`)
      if (rawNodeVerify(pub, utf8(v.msg), sig)) assert.equal(pre, true, `#${v.number}: node:crypto accepts, pre-check refuses`)
    }
  })
})

describe('passesEncodingRule', () => {
  it('never refuses a signature node:crypto accepts (RFC 8032 + Wycheproof)', () => {
    const all = [
      ...rfc.map((v) => ({ pk: v.publicKeyHex, msg: v.messageHex, sig: v.signatureHex })),
      ...wycheproof.testGroups.flatMap((g) => g.tests.map((t) => ({ pk: g.publicKey.pk, msg: t.msg, sig: t.sig }))),
    ]
    for (const t of all) {
      const pub = fromHex(t.pk)
      const sig = fromHex(t.sig)
      if (rawNodeVerify(pub, fromHex(t.msg), sig)) assert.equal(passesEncodingRule(pub, sig), true, t.sig)
    }
  })

  it('never refuses a fresh signature by a random key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (seed, msg) => {
        const sig = nodeSign(seed, msg)
        assert.equal(rawNodeVerify(nodePublicKey(seed), msg, sig), true)
        assert.equal(passesEncodingRule(nodePublicKey(seed), sig), true)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses S >= L, wrong lengths, and x = 0 with the sign bit set', () => {
    const pub = new Uint8Array(32)
    const L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')
    const sig = new Uint8Array(64)
    sig[0] = 0x58 // a canonical R (the base point's y, low byte)
    sig.set(L, 32)
    assert.equal(passesEncodingRule(pub, sig), false, 'S = L')
    sig.set(new Uint8Array(32), 32)
    assert.equal(passesEncodingRule(pub, sig), true, 'S = 0')
    assert.equal(passesEncodingRule(pub.subarray(1), sig), false, '31-byte key')
    assert.equal(passesEncodingRule(pub, sig.subarray(1)), false, '63-byte signature')
    const yOneNeg = new Uint8Array(64)
    yOneNeg[0] = 1
    yOneNeg[31] = 0x80 // y = 1, sign bit set: "-0"
    assert.equal(passesEncodingRule(pub, yOneNeg), false, 'R = (-0, 1)')
  })
})

describe('Ed25519 backends on random keys and messages', () => {
  it('sign identically, verify each other, and both reject a changed message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), async (seed, msg, at) => {
        const pub = await nodeEd25519.publicKey(seed)
        assert.deepEqual(await web.publicKey(seed), pub)
        const sig = await web.sign(seed, msg)
        assert.deepEqual(await nodeEd25519.sign(seed, msg), sig)
        assert.equal(nodeVerify(pub, msg, sig), true)
        assert.equal(await web.verify(pub, msg, sig), true)
        const changed = msg.slice()
        changed[at % changed.length]! ^= 1
        assert.equal(nodeVerify(pub, changed, sig), false)
        assert.equal(await web.verify(pub, changed, sig), false)
      }),
      { numRuns: 60 },
    )
  })
})

describe('Ed25519 malformed keys and signatures', () => {
  for (const { name, ed } of backends) {
    it(`${name}: a seed that is not 32 bytes is PROTO_KEY_INVALID`, async () => {
      await assert.rejects(ed.sign(new Uint8Array(31), new Uint8Array()), (e) => isProtocolError(e, 'PROTO_KEY_INVALID'))
      await assert.rejects(ed.publicKey(new Uint8Array(33)), (e) => isProtocolError(e, 'PROTO_KEY_INVALID'))
    })
    it(`${name}: a wrong-length key or signature verifies as false, never throws`, async () => {
      const v = rfc[0]!
      const pub = fromHex(v.publicKeyHex)
      const sig = fromHex(v.signatureHex)
      assert.equal(await ed.verify(pub.subarray(1), new Uint8Array(), sig), false)
      assert.equal(await ed.verify(pub, new Uint8Array(), sig.subarray(1)), false)
      assert.equal(await ed.verify(new Uint8Array(), new Uint8Array(), new Uint8Array()), false)
    })
  }
  it('the installed provider is node:crypto and its verify is nodeVerify', () => {
    assert.equal(cryptoProvider().name, 'node:crypto')
    assert.equal(cryptoProvider().verify, nodeVerify)
  })
})

describe('nodeVerify key cache', () => {
  // nodeVerify remembers the KeyObject of a key array it has seen; the bytes,
  // not the array, must decide which key verifies.
  describe('when a key array is changed in place after a verification', () => {
    it('verifies under the new bytes, never under the cached key', () => {
      const a = nodePublicKey(utf8('a'.repeat(32)))
      const b = nodePublicKey(utf8('b'.repeat(32)))
      const msg = utf8('message')
      const sigA = nodeSign(utf8('a'.repeat(32)), msg)
      const sigB = nodeSign(utf8('b'.repeat(32)), msg)
      const key = a.slice()
      assert.equal(nodeVerify(key, msg, sigA), true)
      key.set(b)
      assert.equal(nodeVerify(key, msg, sigA), false)
      assert.equal(nodeVerify(key, msg, sigB), true)
      key.set(a)
      assert.equal(nodeVerify(key, msg, sigA), true)
      assert.equal(nodeVerify(key, msg, sigB), false)
    })
  })
  describe('when the key is a Buffer changed in place (Buffer.slice() does not copy)', () => {
    it('verifies under the new bytes', () => {
      const msg = utf8('message')
      const sigA = nodeSign(utf8('d'.repeat(32)), msg)
      const key = Buffer.from(nodePublicKey(utf8('d'.repeat(32))))
      assert.equal(nodeVerify(key, msg, sigA), true)
      key.set(nodePublicKey(utf8('e'.repeat(32))))
      assert.equal(nodeVerify(key, msg, sigA), false)
      assert.equal(nodeVerify(key, msg, nodeSign(utf8('e'.repeat(32)), msg)), true)
    })
  })
  describe('when two arrays hold the same key', () => {
    it('verifies through either', () => {
      const seed = utf8('c'.repeat(32))
      const msg = utf8('message')
      const sig = nodeSign(seed, msg)
      const k1 = nodePublicKey(seed)
      assert.equal(nodeVerify(k1, msg, sig), true)
      assert.equal(nodeVerify(k1.slice(), msg, sig), true)
    })
  })
})
