import { nodeCrypto, nodePublicKey, nodeSign } from '../../dist/node.js' // also installs node:crypto
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { concat, toHex, utf8 } from '../../dist/bytes.js'
import {
  COSIGNATURE_V1_LENGTH,
  cosign,
  cosignatureMessage,
  cosignatureTime,
  formatWitnessVerifierKey,
  verifyCosignature,
  witnessVerifier,
  witnessVerifierFromString,
} from '../../dist/cosignature/cosignature.js'
import { keyHash, verifierFromString, type Signer } from '../../dist/note/key.js'
import { open, parse as parseNote } from '../../dist/note/open.js'
import { formatSignatureLine } from '../../dist/note/sign.js'
import { vectorJson, vectorText } from '../vectors.js'
import { enc, hex, lossy, mutate, outcome, outcomeAsync, rng } from '../note/helpers.js'

const data = vectorJson('signed-notes.json')
const V = data.vectors.find((v: { id: string }) => v.id === 'cosignature-v1-sigsum-go')
const WRONG_ID = data.vectors.find((v: { id: string }) => v.id === 'cosignature-v1-wrong-keyid')
const NOTE = vectorText('cosignature-v1-sigsum-go.note')
const BODY = parseNote(NOTE).text
const LINE = NOTE.slice(BODY.length + 1)
const SEED = hex(V.witnessSeedHex)
const NAME = 'example.org/witness'
const witness = witnessVerifierFromString(V.vkeys[0])
const e2e = vectorJson('sigsum-proof-e2e.json')
const witnessKeyIds = data.keyIdVectors.filter((k: { rule?: string }) => k.rule?.includes('0x04'))

describe('cosignatureMessage', () => {
  it('is the sigsum-go signed message for time 1234', () => {
    assert.deepEqual(cosignatureMessage(BODY, V.cosignatureTimestamp), utf8(V.signedMessage))
  })
  it('writes time 0 as "0" and large times without exponent', () => {
    assert.deepEqual(cosignatureMessage('o\n', 0), utf8('cosignature/v1\ntime 0\no\n'))
    assert.deepEqual(cosignatureMessage('o\n', Number.MAX_SAFE_INTEGER), utf8('cosignature/v1\ntime 9007199254740991\no\n'))
  })
  for (const [why, time] of [['negative', -1], ['fractional', 1.5], ['unsafe', 2 ** 53], ['NaN', NaN]] as const) {
    it(`throws PROTO_MALFORMED for a ${why} time`, () => assert.equal(outcome(() => cosignatureMessage(BODY, time)), 'PROTO_MALFORMED'))
  }
  it('throws PROTO_MALFORMED for a body without its final newline', () => {
    assert.equal(outcome(() => cosignatureMessage(BODY.slice(0, -1), 1)), 'PROTO_MALFORMED')
  })
})

describe('cosign', () => {
  describe('when given the sigsum-go witness seed and time 1234', () => {
    it('reproduces the sigsum-go cosignature line byte for byte', async () => {
      assert.equal(await cosign(BODY, { name: NAME, seed: SEED }, 1234), LINE)
      assert.equal(BODY + '\n' + (await cosign(BODY, { name: NAME, seed: SEED }, 1234)), NOTE)
    })
    it('reproduces it through a Signer too (a key held elsewhere)', async () => {
      const signer: Signer = { name: NAME, keyHash: witness.keyHash, sign: async (m) => nodeSign(SEED, m) }
      assert.equal(await cosign(BODY, signer, 1234), LINE)
    })
  })
  describe('when the body is not a checkpoint', () => {
    it('throws PROTO_MALFORMED rather than sign it', async () => {
      assert.equal(await outcomeAsync(() => cosign('hello\n', { name: NAME, seed: SEED }, 1)), 'PROTO_MALFORMED')
      assert.equal(await outcomeAsync(() => cosign('o\n01\nAAAA\n', { name: NAME, seed: SEED }, 1)), 'PROTO_MALFORMED')
    })
  })
  describe('when the witness key is unusable', () => {
    it('throws PROTO_KEY_INVALID', async () => {
      assert.equal(await outcomeAsync(() => cosign(BODY, { name: 'a b', seed: SEED }, 1)), 'PROTO_KEY_INVALID')
      assert.equal(await outcomeAsync(() => cosign(BODY, { name: NAME, seed: SEED.subarray(1) }, 1)), 'PROTO_KEY_INVALID')
      const short: Signer = { name: NAME, keyHash: 1, sign: async () => new Uint8Array(72) }
      assert.equal(await outcomeAsync(() => cosign(BODY, short, 1)), 'PROTO_KEY_INVALID')
    })
  })
  describe('when the time needs the high 32 bits', () => {
    it('encodes it big-endian and verifies', async () => {
      const t = 2 ** 40 + 5
      const line = await cosign(BODY, { name: NAME, seed: SEED }, t)
      assert.equal(verifyCosignature(BODY, line, witness), t)
    })
  })
})

describe('witnessVerifierFromString', () => {
  describe('when given every cosignature/v1 key-ID vector', () => {
    it('parses it with the key ID from the string, and formats it back', () => {
      assert.ok(witnessKeyIds.length >= 2)
      for (const { vkey } of witnessKeyIds) {
        const w = witnessVerifierFromString(vkey)
        assert.equal(w.type, 0x04)
        assert.equal(w.keyHash, parseInt(vkey.split('+')[1], 16))
        assert.equal(keyHash(w.name, 0x04, w.publicKey), w.keyHash)
        assert.equal(formatWitnessVerifierKey(w.name, w.publicKey), vkey)
      }
    })
  })
  describe('when given the derived sigsum-go witness key', () => {
    it('matches the key derived from the seed', () => {
      assert.equal(formatWitnessVerifierKey(NAME, nodePublicKey(SEED)), V.vkeys[0])
    })
  })
  describe('when fed thousands of mutated witness keys', () => {
    it('returns a witness verifier or throws ProtocolError, and accepts only keys whose hash matches', () => {
      const r = rng(8)
      const pool = witnessKeyIds.map((k: { vkey: string }) => enc.encode(k.vkey))
      for (let i = 0; i < 2000; i++) {
        let b: Uint8Array = pool[i % pool.length]!
        for (let j = 1 + (i % 3); j > 0; j--) b = mutate(r, b, pool)
        const s = lossy.decode(b)
        if (outcome(() => witnessVerifierFromString(s), s) === 'ok') {
          const w = witnessVerifierFromString(s)
          assert.equal(formatWitnessVerifierKey(w.name, w.publicKey), s)
        }
      }
    })
  })
  describe('when given a plain Ed25519 (0x01) note key', () => {
    it('throws PROTO_KEY_INVALID: a log key is not a witness key', () => {
      assert.equal(outcome(() => witnessVerifierFromString('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')), 'PROTO_KEY_INVALID')
    })
  })
  describe('when a witness key is given to the note-key parser', () => {
    it('throws PROTO_KEY_INVALID', () => assert.equal(outcome(() => verifierFromString(V.vkeys[0])), 'PROTO_KEY_INVALID'))
  })
})

describe('witness Verifier.verify', () => {
  describe('when given the three real Sigsum witnesses cosignatures', () => {
    it('accepts every cosignature by a policy witness over the real checkpoints', () => {
      let checked = 0
      for (const c of e2e.cases) {
        for (const [name, pubHex] of Object.entries(c.witnesses) as [string, string][]) {
          const pub = hex(pubHex)
          const raw = c.cosignatures.find((x: [string]) => x[0] === toHex(nodeCrypto.sha256(pub)))
          if (raw === undefined) continue
          const [, time, sigHex] = raw as [string, number, string]
          const ts = new Uint8Array(8)
          new DataView(ts.buffer).setBigUint64(0, BigInt(time))
          const w = witnessVerifier(name, pub)
          assert.ok(w.verify(utf8(c.expectedCheckpointText), concat(ts, hex(sigHex))), `${name} size ${c.size}`)
          assert.ok(!w.verify(utf8(c.expectedCheckpointText), concat(ts.map((b, i) => (i === 7 ? b ^ 1 : b)), hex(sigHex))), 'time is signed')
          checked++
        }
      }
      assert.equal(checked, 6)
    })
  })
  describe('when the signature bytes are not 72 long', () => {
    it('returns false', () => {
      const sig = parseNote(NOTE).signatures[0]!.signature
      assert.equal(sig.length, COSIGNATURE_V1_LENGTH)
      assert.ok(witness.verify(utf8(BODY), sig))
      assert.ok(!witness.verify(utf8(BODY), sig.subarray(0, 71)))
      assert.ok(!witness.verify(utf8(BODY), concat(sig, Uint8Array.of(0))))
    })
  })
})

describe('verifyCosignature', () => {
  it('returns the timestamp of a valid cosignature (1234)', () => {
    assert.equal(verifyCosignature(BODY, LINE, witness), 1234)
  })
  describe('when the line carries another key ID (sigsum-go negative vector)', () => {
    it('throws PROTO_SIG_INVALID', () => {
      const line = WRONG_ID.note.slice(BODY.length + 1)
      assert.equal(outcome(() => verifyCosignature(BODY, line, witness)), 'PROTO_SIG_INVALID')
      assert.equal(outcome(() => open(WRONG_ID.note, [witness])), 'PROTO_NOTE_UNVERIFIED')
    })
  })
  describe('when the checkpoint or the timestamp differ from what was signed', () => {
    it('throws PROTO_SIG_INVALID', () => {
      assert.equal(outcome(() => verifyCosignature(BODY.replace('10', '11'), LINE, witness)), 'PROTO_SIG_INVALID')
      const sig = parseNote(NOTE).signatures[0]!
      const later = formatSignatureLine({ ...sig, signature: sig.signature.map((b, i) => (i === 7 ? b + 1 : b)) })
      assert.equal(outcome(() => verifyCosignature(BODY, later, witness)), 'PROTO_SIG_INVALID')
    })
  })
  describe('when the timestamp exceeds 2^53-1', () => {
    it('throws PROTO_SIG_INVALID and cosignatureTime reports none', () => {
      const sig = parseNote(NOTE).signatures[0]!
      const huge = sig.signature.map((b, i) => (i === 0 ? 0x80 : b))
      assert.equal(cosignatureTime(huge), undefined)
      assert.equal(outcome(() => verifyCosignature(BODY, formatSignatureLine({ ...sig, signature: huge }), witness)), 'PROTO_SIG_INVALID')
    })
  })
  describe('when the timestamp is at the edge of the safe integers', () => {
    it('cosignatureTime reads 2^53-1 and refuses 2^53, and reads every byte big-endian', () => {
      const sig = new Uint8Array(72)
      const withTime = (bytes: number[]) => { const s = sig.slice(); s.set(bytes); return s }
      assert.equal(cosignatureTime(withTime([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), Number.MAX_SAFE_INTEGER)
      assert.equal(cosignatureTime(withTime([0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])), undefined)
      assert.equal(cosignatureTime(withTime([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), undefined)
      assert.equal(cosignatureTime(withTime([0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06])), 0x010203040506)
      assert.equal(cosignatureTime(withTime([0, 0, 0, 0, 0x80, 0, 0, 1])), 0x80000001)
      assert.equal(cosignatureTime(sig.subarray(1)), undefined, 'not 72 bytes')
    })
  })
  describe('when the line is malformed', () => {
    it('throws PROTO_MALFORMED', () => {
      for (const bad of [LINE.slice(0, -1), LINE.replace('\u2014', '-'), LINE + LINE, '\n', '']) {
        assert.equal(outcome(() => verifyCosignature(BODY, bad, witness)), 'PROTO_MALFORMED', JSON.stringify(bad))
      }
    })
  })
  describe('when the verifier is not a witness verifier', () => {
    it('throws PROTO_KEY_INVALID', () => {
      const v = verifierFromString('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')
      assert.equal(outcome(() => verifyCosignature(BODY, LINE, v)), 'PROTO_KEY_INVALID')
    })
  })
  describe('when fed thousands of mutated lines and bodies', () => {
    it('returns a time or throws ProtocolError, and returns 1234 only for the original pair', () => {
      const r = rng(6)
      const pool = [enc.encode(LINE), enc.encode(BODY)]
      for (let i = 0; i < 3000; i++) {
        let line: Uint8Array = enc.encode(LINE)
        let body: Uint8Array = enc.encode(BODY)
        if (i % 2 === 0) line = mutate(r, line, pool)
        else body = mutate(r, body, pool)
        const [l, b] = [lossy.decode(line), lossy.decode(body)]
        if (outcome(() => verifyCosignature(b, l, witness), l) === 'ok') {
          assert.equal(b, BODY)
          assert.equal(verifyCosignature(b, l, witness), 1234)
        }
      }
    })
  })
})
