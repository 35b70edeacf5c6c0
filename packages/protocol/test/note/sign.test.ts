import { nodePublicKey } from '../../dist/node.js' // also installs node:crypto
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ed25519Signer, ed25519Verifier, signerFromString, verifierFromString, type Signer } from '../../dist/note/key.js'
import { NOTE_MAX_SIGNATURES, open, parse } from '../../dist/note/open.js'
import { formatSignatureLine, sign } from '../../dist/note/sign.js'
import { vectorJson } from '../vectors.js'
import { int, outcomeAsync, rng } from './helpers.js'

interface NoteVector {
  id: string
  vkeys: string[]
  skey?: string
  note: string
}
const vectors: NoteVector[] = vectorJson('signed-notes.json').vectors
const byId = (id: string) => vectors.find((v) => v.id === id)!
const PETER = byId('xmod-peterneumann')

describe('sign', () => {
  describe('when a vector carries its signer key', () => {
    const withKeys = vectors.filter((v) => v.skey !== undefined)
    it('there is at least one such vector', () => assert.ok(withKeys.length >= 1))
    for (const v of withKeys) {
      it(`re-signs the text to the identical note: ${v.id}`, async () => {
        const signer = await signerFromString(v.skey!)
        assert.equal(await sign(parse(v.note).text, [signer]), v.note)
      })
    }
  })

  describe('when given an opened note and no signers', () => {
    it('re-emits the note byte for byte, verified lines then unverified ones', () => {
      const v = byId('xmod-two-signers-one-known')
      return sign(open(v.note, [verifierFromString(v.vkeys[0]!)]), []).then((out) => assert.equal(out, v.note))
    })
  })

  describe('when a signer matches an existing signature', () => {
    it('drops the old line and appends the new one after the others, as Go does', async () => {
      const v = byId('xmod-two-signers-both-known')
      const [peterLine, enochLine] = v.note.slice(parse(v.note).text.length + 1).split(/(?<=\n)/)
      const out = await sign(parse(v.note), [await signerFromString(PETER.skey!)])
      assert.equal(out, parse(v.note).text + '\n' + enochLine + peterLine)
    })
  })

  describe('when adding a second signer to a signed note', () => {
    it('keeps the first line and both keys verify the result', async () => {
      const seed = new Uint8Array(32).fill(9)
      const extra = await ed25519Signer('EnochRoot2', seed)
      const peter = verifierFromString(PETER.vkeys[0]!)
      const out = await sign(open(PETER.note, [peter]), [extra])
      assert.ok(out.startsWith(PETER.note))
      const opened = open(out, [peter, ed25519Verifier('EnochRoot2', nodePublicKey(seed))])
      assert.deepEqual(opened.signatures.map((s) => s.name), ['PeterNeumann', 'EnochRoot2'])
    })
  })

  describe('when the text or the signers are unusable', () => {
    const peterSigner = () => signerFromString(PETER.skey!)
    const cases: [string, string, () => Promise<Signer[]>, string][] = [
      ['the text does not end in a newline', 'abc', async () => [await peterSigner()], 'PROTO_MALFORMED'],
      ['the text is empty', '', async () => [await peterSigner()], 'PROTO_MALFORMED'],
      ['the text holds a carriage return', 'a\r\n', async () => [await peterSigner()], 'PROTO_MALFORMED'],
      ['the text holds a lone surrogate', 'a\ud800\n', async () => [await peterSigner()], 'PROTO_MALFORMED'],
      ['there is nothing to sign with', 'a\n', async () => [], 'PROTO_MALFORMED'],
      ['a signer name has a space', 'a\n', async () => [{ name: 'a b', keyHash: 1, sign: async () => new Uint8Array(64) }], 'PROTO_KEY_INVALID'],
      ['a signer key ID is not a uint32', 'a\n', async () => [{ name: 'ab', keyHash: 2 ** 32, sign: async () => new Uint8Array(64) }], 'PROTO_KEY_INVALID'],
      ['a signer returns nothing', 'a\n', async () => [{ name: 'ab', keyHash: 1, sign: async () => new Uint8Array(0) }], 'PROTO_KEY_INVALID'],
    ]
    for (const [why, text, signers, code] of cases) {
      it(`throws ${code} when ${why}`, async () => {
        const list = await signers()
        assert.equal(await outcomeAsync(() => sign(text, list)), code)
      })
    }
    it(`throws PROTO_TOO_LARGE beyond ${NOTE_MAX_SIGNATURES} signatures`, async () => {
      const many = Array.from({ length: NOTE_MAX_SIGNATURES + 1 }, (_, i) => ({ name: `k${i}`, keyHash: i, sign: async () => new Uint8Array(64) }))
      assert.equal(await outcomeAsync(() => sign('a\n', many)), 'PROTO_TOO_LARGE')
    })
  })

  describe('when signing random texts with random keys', () => {
    it('produces notes that open to the same text', async () => {
      const r = rng(4)
      const alphabet = ['a', ' ', '\n', '\n\n', '\u2014 ', 'é', '€', '😀', '+', '\u00a0', '\ufeff', '\u007f']
      for (let i = 0; i < 300; i++) {
        let text = ''
        for (let n = int(r, 12); n > 0; n--) text += alphabet[int(r, alphabet.length)]
        text += '\n'
        const seed = Uint8Array.from({ length: 32 }, () => int(r, 256))
        const name = `k${i}.example/${int(r, 1000)}`
        const out = await sign(text, [await ed25519Signer(name, seed)])
        assert.equal(open(out, [ed25519Verifier(name, nodePublicKey(seed))]).text, text)
      }
    })
  })
})

describe('formatSignatureLine', () => {
  it('writes the golden line', () => {
    assert.equal(formatSignatureLine({ name: 'example.com/w', keyHash: 0x01020304, signature: Uint8Array.of(9) }), '\u2014 example.com/w AQIDBAk=\n')
  })
  it('writes the high bit of the key ID without sign trouble', () => {
    assert.equal(formatSignatureLine({ name: 'n', keyHash: 0xffffffff, signature: Uint8Array.of(0) }), '\u2014 n /////wA=\n')
  })
})
