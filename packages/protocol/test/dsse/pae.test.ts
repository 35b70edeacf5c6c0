// DSSE PAE against the spec's vector, sigstore-js's vectors (incl. a
// non-ASCII type) and the PAE hex of every DSSE protocol test vector.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { pae } from '../../dist/dsse/index.js'
import { fromBase64, fromHex, fromUtf8, toHex, utf8 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { vectorJson } from '../vectors.js'

interface PaeVector { payloadType: string; payloadUtf8: string; paeUtf8?: string; paeHex?: string }
interface DsseVectors {
  spec_vector: PaeVector & { paeUtf8: string }
  pae_vectors: PaeVector[]
  protocol_vectors: { vectors: { id: string; envelope: { payload: string; payloadType: string }; pae: string }[] }
}
const V = vectorJson<DsseVectors>('dsse.json')

describe('pae', () => {
  const named = [{ name: 'the DSSE spec vector', v: V.spec_vector }, ...V.pae_vectors.map((v, i) => ({ name: `PAE vector ${i}`, v }))]
  for (const { name, v } of named) {
    it(`${name}: (${JSON.stringify(v.payloadType)}, ${JSON.stringify(v.payloadUtf8)}) encodes byte-exactly`, () => {
      const got = pae(v.payloadType, utf8(v.payloadUtf8))
      if (v.paeUtf8 !== undefined) assert.equal(fromUtf8(got), v.paeUtf8)
      if (v.paeHex !== undefined) assert.equal(toHex(got), v.paeHex)
    })
  }

  it('matches the pae of every DSSE protocol vector whose type was not swapped', () => {
    for (const v of V.protocol_vectors.vectors) {
      if (v.id === 'payload-type-swapped') continue // its pae is that of the type originally signed
      // The url-safe vector's payload is decoded here only to check PAE.
      const payload = fromBase64(v.envelope.payload.replace(/-/g, '+').replace(/_/g, '/'))
      assert.equal(toHex(pae(v.envelope.payloadType, payload)), v.pae, v.id)
    }
  })

  it('counts the UTF-8 bytes of a non-ASCII type (17 for "application/typé"), not its characters', () => {
    assert.equal(fromUtf8(pae('application/typé', new Uint8Array())), 'DSSEv1 17 application/typé 0 ')
  })

  it('carries binary bodies unchanged, with their byte length', () => {
    const body = fromHex('00ff0a20')
    assert.deepEqual(pae('t', body), Uint8Array.from([...utf8('DSSEv1 1 t 4 '), 0x00, 0xff, 0x0a, 0x20]))
  })

  it('refuses a type with an unpaired surrogate with PROTO_MALFORMED', () => {
    assert.throws(() => pae('a\ud800', new Uint8Array()), (e) => isProtocolError(e, 'PROTO_MALFORMED'))
  })

  it('is injective: different (type, body) pairs never share a PAE', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 40 }), (t1, b1, t2, b2) => {
        const same = t1 === t2 && toHex(b1) === toHex(b2)
        assert.equal(toHex(pae(t1, b1)) === toHex(pae(t2, b2)), same)
      }),
      { numRuns: 1000 },
    )
  })
})
