import { nodeCrypto, nodePublicKey } from '../../dist/node.js' // also installs node:crypto
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toHex } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { format } from '../../dist/checkpoint/checkpoint.js'
import { openCosignedCheckpoint, type CosignedCheckpointPolicy } from '../../dist/checkpoint/open-cosigned.js'
import { cosign, witnessVerifier, witnessVerifierFromString } from '../../dist/cosignature/cosignature.js'
import { ed25519Signer, ed25519Verifier, verifierFromString, type Verifier } from '../../dist/note/key.js'
import { formatSignatureLine, sign } from '../../dist/note/sign.js'
import { vectorJson } from '../vectors.js'
import { enc, hex, int, lossy, mutate, outcome, rng } from '../note/helpers.js'

const ORIGIN = 'example.com/log'
const seed = (n: number) => new Uint8Array(32).fill(n)
const LOG_SEED = seed(1)
const W = [11, 12, 13, 14].map((n, i) => ({ name: `w${i + 1}.example`, seed: seed(n) }))
const logVerifier = ed25519Verifier(ORIGIN, nodePublicKey(LOG_SEED))
const witnesses = W.slice(0, 3).map((w) => witnessVerifier(w.name, nodePublicKey(w.seed)))
const policy: CosignedCheckpointPolicy = { origin: ORIGIN, logVerifier, witnesses, quorum: 2 }
const body = (size: number, origin = ORIGIN, fill = 7) => format({ origin, size, rootHash: new Uint8Array(32).fill(fill), extensions: [] })

/** A checkpoint signed by the log (unless log is false) and cosigned by the given witnesses at time 1000 + i. */
async function cosigned(text: string, who: typeof W, log = true): Promise<string> {
  const note = await sign(text, log ? [await ed25519Signer(ORIGIN, LOG_SEED)] : [await ed25519Signer('someone.else', seed(99))])
  const lines = await Promise.all(who.map((w, i) => cosign(text, w, 1000 + i)))
  return note + lines.join('')
}

function code(fn: () => unknown): string {
  return outcome(fn)
}

describe('openCosignedCheckpoint', () => {
  describe('when given the real Sigsum test-log checkpoints with 3 real witness cosignatures (2-of-3 policy)', () => {
    const e2e = vectorJson('sigsum-proof-e2e.json')
    for (const c of e2e.cases) {
      const origin = `sigsum.org/v1/tree/${c.logKeyHash}`
      const log = ed25519Verifier(origin, hex(c.logPub))
      const ws = Object.entries(c.witnesses as Record<string, string>).map(([n, pub]) => witnessVerifier(n, hex(pub)))
      const lines = () => {
        const out = [formatSignatureLine({ name: origin, keyHash: log.keyHash, signature: hex(c.logSig) })]
        for (const w of ws) {
          // Sigsum names a witness by SHA-256(pub); the C2SP line names it by name and key ID.
          const raw = c.cosignatures.find((x: [string]) => x[0] === toHex(nodeCrypto.sha256(w.publicKey)))
          const ts = new Uint8Array(8)
          new DataView(ts.buffer).setBigUint64(0, BigInt(raw[1]))
          out.push(formatSignatureLine({ name: w.name, keyHash: w.keyHash, signature: Uint8Array.from([...ts, ...hex(raw[2])]) }))
        }
        return out
      }
      it(`rebuilds the C2SP rendering byte for byte from the raw proof (size ${c.size})`, () => {
        assert.equal(c.expectedCheckpointText + '\n' + lines().join(''), c.c2sp.note)
        assert.deepEqual([log, ...ws].map((v) => v.keyHash), [verifierFromString(c.c2sp.vkeys[0]), ...c.c2sp.vkeys.slice(1).map((k: string) => witnessVerifierFromString(k))].map((v) => v.keyHash))
      })
      it(`accepts it with all three witnesses and reports their timestamps (size ${c.size})`, () => {
        const res = openCosignedCheckpoint(c.c2sp.note, { origin, logVerifier: log, witnesses: ws, quorum: 2 })
        assert.equal(res.checkpoint.size, c.size)
        assert.equal(res.text, c.expectedCheckpointText)
        assert.deepEqual(res.cosignatures.map((s) => s.name), ['test1', 'test2', 'test3'])
        const times = new Set(c.cosignatures.map((x: [string, number]) => x[1]))
        for (const s of res.cosignatures) assert.ok(times.has(s.time))
        assert.equal(openCosignedCheckpoint(c.c2sp.note, { origin, logVerifier: log, witnesses: ws, quorum: 3 }).cosignatures.length, 3)
      })
      it(`throws PROTO_WITNESS_QUORUM when only one witness line is left (size ${c.size})`, () => {
        const [logLine, w1] = lines()
        const note = c.expectedCheckpointText + '\n' + logLine + w1
        assert.equal(code(() => openCosignedCheckpoint(note, { origin, logVerifier: log, witnesses: ws, quorum: 2 })), 'PROTO_WITNESS_QUORUM')
        assert.equal(code(() => openCosignedCheckpoint(c.c2sp.note, { origin, logVerifier: log, witnesses: ws, quorum: 4 })), 'PROTO_WITNESS_QUORUM')
      })
    }
  })

  describe('when the log signed it and 2 of 3 trusted witnesses cosigned it', () => {
    it('returns the checkpoint, its text and both cosignatures with their times', async () => {
      const note = await cosigned(body(5), [W[0]!, W[2]!])
      const res = openCosignedCheckpoint(note, policy)
      assert.equal(res.checkpoint.size, 5)
      assert.equal(res.text, body(5))
      assert.deepEqual(res.cosignatures, [
        { name: 'w1.example', keyHash: witnesses[0]!.keyHash, time: 1000 },
        { name: 'w3.example', keyHash: witnesses[2]!.keyHash, time: 1001 },
      ])
      assert.ok(Object.isFrozen(res) && Object.isFrozen(res.cosignatures))
    })
    it('accepts the note as bytes too', async () => {
      const note = await cosigned(body(5), [W[0]!, W[1]!])
      assert.equal(openCosignedCheckpoint(enc.encode(note), policy).checkpoint.size, 5)
    })
  })

  describe('when the log key signed a checkpoint for another origin', () => {
    it('throws PROTO_LOG_ORIGIN', async () => {
      const note = await cosigned(body(5, 'example.com/other-log'), [W[0]!, W[1]!])
      const e = (() => { try { openCosignedCheckpoint(note, policy) } catch (e) { return e } })()
      assert.ok(isProtocolError(e, 'PROTO_LOG_ORIGIN'))
      assert.deepEqual(e.details, { expected: ORIGIN, got: 'example.com/other-log' })
    })
  })

  describe('when the log did not sign it', () => {
    it('throws PROTO_LOG_SIG even with every witness cosignature present', async () => {
      const note = await cosigned(body(5), [W[0]!, W[1]!, W[2]!], false)
      assert.equal(code(() => openCosignedCheckpoint(note, policy)), 'PROTO_LOG_SIG')
    })
    it('throws PROTO_LOG_SIG when no known key signed at all', async () => {
      const note = await cosigned(body(5), [], false)
      assert.equal(code(() => openCosignedCheckpoint(note, policy)), 'PROTO_LOG_SIG')
    })
    it('throws PROTO_LOG_SIG when another key signed under the log name', async () => {
      const impostor = await ed25519Signer(ORIGIN, seed(66))
      const note = (await sign(body(5), [impostor])) + (await cosign(body(5), W[0]!, 1)) + (await cosign(body(5), W[1]!, 1))
      assert.equal(code(() => openCosignedCheckpoint(note, policy)), 'PROTO_LOG_SIG')
    })
  })

  describe('when the checkpoint text was altered after signing', () => {
    it('throws PROTO_LOG_SIG', async () => {
      const note = await cosigned(body(5), [W[0]!, W[1]!])
      assert.equal(code(() => openCosignedCheckpoint(note.replace('\n5\n', '\n6\n'), policy)), 'PROTO_LOG_SIG')
    })
  })

  describe('when a witness cosignature was copied from another checkpoint (fork attempt)', () => {
    it('throws PROTO_SIG_INVALID: a trusted key signed something else', async () => {
      const honest = await cosign(body(5, ORIGIN, 7), W[0]!, 1)
      const forked = (await sign(body(5, ORIGIN, 8), [await ed25519Signer(ORIGIN, LOG_SEED)])) + honest + (await cosign(body(5, ORIGIN, 8), W[1]!, 1))
      assert.equal(code(() => openCosignedCheckpoint(forked, policy)), 'PROTO_SIG_INVALID')
    })
  })

  describe('when the log signs two histories and witnesses cosign only one', () => {
    it('accepts the cosigned one and throws PROTO_WITNESS_QUORUM for the other', async () => {
      const a = await cosigned(body(5, ORIGIN, 7), [W[0]!, W[1]!])
      const b = await cosigned(body(5, ORIGIN, 8), [W[0]!])
      assert.equal(code(() => openCosignedCheckpoint(a, policy)), 'ok')
      assert.equal(code(() => openCosignedCheckpoint(b, policy)), 'PROTO_WITNESS_QUORUM')
    })
  })

  describe('when one witness appears twice', () => {
    it('counts an identical repeated line once', async () => {
      const line = await cosign(body(5), W[0]!, 1)
      const note = (await cosigned(body(5), [])) + line + line
      assert.equal(code(() => openCosignedCheckpoint(note, policy)), 'PROTO_WITNESS_QUORUM')
    })
    it('counts one key listed under two names once (cosignature/v1 does not sign the name)', async () => {
      const alias = witnessVerifier('alias.example', nodePublicKey(W[0]!.seed))
      const note = (await cosigned(body(5), [W[0]!])) + (await cosign(body(5), { name: 'alias.example', seed: W[0]!.seed }, 1))
      const p = { ...policy, witnesses: [...witnesses, alias] }
      const e = (() => { try { openCosignedCheckpoint(note, p) } catch (e) { return e } })()
      assert.ok(isProtocolError(e, 'PROTO_WITNESS_QUORUM'))
      assert.equal(e.details?.have, 1)
    })
  })

  describe('when only untrusted witnesses cosigned', () => {
    it('ignores them and throws PROTO_WITNESS_QUORUM', async () => {
      const note = await cosigned(body(5), [W[3]!, W[0]!])
      const e = (() => { try { openCosignedCheckpoint(note, policy) } catch (e) { return e } })()
      assert.ok(isProtocolError(e, 'PROTO_WITNESS_QUORUM'))
      assert.deepEqual(e.details?.have, 1)
    })
  })

  describe('when the quorum is 0', () => {
    it('accepts a log-signed checkpoint with no cosignatures', async () => {
      const note = await cosigned(body(0), [])
      assert.deepEqual(openCosignedCheckpoint(note, { ...policy, quorum: 0 }).cosignatures, [])
    })
  })

  describe('when the signed body is not a checkpoint', () => {
    it('throws PROTO_MALFORMED', async () => {
      const note = await sign('example.com/log\n05\nAAAA\n', [await ed25519Signer(ORIGIN, LOG_SEED)])
      assert.equal(code(() => openCosignedCheckpoint(note, policy)), 'PROTO_MALFORMED')
    })
  })

  describe('when the policy is unusable', () => {
    it('throws PROTO_MALFORMED for a negative or fractional quorum', async () => {
      const note = await cosigned(body(5), [W[0]!, W[1]!])
      for (const quorum of [-1, 1.5, NaN]) assert.equal(code(() => openCosignedCheckpoint(note, { ...policy, quorum })), 'PROTO_MALFORMED')
    })
    it('throws PROTO_KEY_INVALID when a witness is a plain note key, such as the log key', async () => {
      const note = await cosigned(body(5), [W[0]!, W[1]!])
      const asWitness: Verifier[] = [...witnesses, ed25519Verifier('w9.example', nodePublicKey(seed(9)))]
      assert.equal(code(() => openCosignedCheckpoint(note, { ...policy, witnesses: asWitness })), 'PROTO_KEY_INVALID')
      assert.equal(code(() => openCosignedCheckpoint(note, { ...policy, witnesses: [...witnesses, logVerifier] })), 'PROTO_KEY_INVALID')
      assert.equal(code(() => openCosignedCheckpoint(note, { ...policy, logVerifier: witnesses[0]! })), 'PROTO_KEY_INVALID')
    })
  })

  describe('when fed thousands of mutated cosigned notes', () => {
    it('returns a result or throws ProtocolError, and every result carries the signed checkpoint', async () => {
      const originals = [await cosigned(body(5), [W[0]!, W[1]!, W[2]!]), await cosigned(body(9, ORIGIN, 3), [W[1]!, W[2]!, W[3]!])]
      const texts = new Set([body(5), body(9, ORIGIN, 3)])
      const pool = originals.map((n) => enc.encode(n))
      const r = rng(7)
      const seen = new Set<string>()
      for (let i = 0; i < 3000; i++) {
        let b: Uint8Array = pool[int(r, pool.length)]!
        for (let j = 1 + int(r, 2); j > 0; j--) b = mutate(r, b, pool)
        for (const input of [b, lossy.decode(b)]) {
          const res = outcome(() => openCosignedCheckpoint(input, policy), input)
          seen.add(res)
          if (res === 'ok') assert.ok(texts.has(openCosignedCheckpoint(input, policy).text))
        }
      }
      for (const c of ['ok', 'PROTO_MALFORMED', 'PROTO_LOG_SIG', 'PROTO_SIG_INVALID']) assert.ok(seen.has(c), `reached ${c}`)
    })
  })
})
