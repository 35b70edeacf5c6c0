import '../../dist/node.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromBase64 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import {
  ed25519Signer,
  formatSignerKey,
  formatVerifierKey,
  isValidKeyName,
  keyHash,
  signerFromString,
  verifierFromString,
} from '../../dist/note/key.js'
import { vectorJson } from '../vectors.js'
import { enc, int, mutate, outcome, outcomeAsync, rng } from './helpers.js'

interface KeyIdVector {
  vkey?: string
  rule?: string
  negative?: string
}
const notes = vectorJson('signed-notes.json')
const keyIds: KeyIdVector[] = notes.keyIdVectors
const ed25519Keys = keyIds.filter((k) => k.vkey !== undefined && k.rule!.includes('0x01')).map((k) => k.vkey!)
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const PETER_SEED = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').subarray(1)

const code = (fn: () => unknown) => outcome(fn)

describe('verifierFromString', () => {
  describe('when given each Ed25519 key-ID vector', () => {
    it('parses it, with the key ID from the string', () => {
      assert.equal(ed25519Keys.length, 5)
      for (const vkey of ed25519Keys) {
        const v = verifierFromString(vkey)
        const [name, hash] = vkey.split('+')
        assert.equal(v.name, name)
        assert.equal(v.keyHash, parseInt(hash!, 16))
        assert.equal(v.type, 0x01)
        assert.equal(v.publicKey.length, 32)
      }
    })
    it('formats it back to the identical string', () => {
      for (const vkey of ed25519Keys) {
        const v = verifierFromString(vkey)
        assert.equal(formatVerifierKey(v.name, v.publicKey), vkey)
        assert.equal(keyHash(v.name, 0x01, v.publicKey), v.keyHash)
      }
    })
  })

  describe('when the base64 part contains "+"', () => {
    it('splits on the first two "+" only', () => {
      const v = verifierFromString('sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8')
      assert.equal(v.name, 'sum.golang.org')
      assert.equal(v.keyHash, 0x033de0ae)
    })
  })

  describe('when given the invalid key-ID vectors (wrong length, unknown algorithm)', () => {
    it('throws PROTO_KEY_INVALID', () => {
      const negatives = keyIds.filter((k) => k.negative !== undefined)
      assert.equal(negatives.length, 2)
      for (const k of negatives) assert.equal(code(() => verifierFromString(k.negative!)), 'PROTO_KEY_INVALID')
    })
  })

  describe('when given a cosignature/v1 (0x04) or ECDSA (0x02) key', () => {
    it('throws PROTO_KEY_INVALID: those are not note keys', () => {
      for (const k of keyIds.filter((k) => k.vkey !== undefined && !k.rule!.includes('0x01'))) {
        assert.equal(code(() => verifierFromString(k.vkey!)), 'PROTO_KEY_INVALID', k.vkey)
      }
    })
  })

  describe('when a field is malformed', () => {
    const bad: [string, string][] = [
      ['no separators', 'PeterNeumann'],
      ['one separator', 'PeterNeumann+c74f20a3'],
      ['empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['upper-case hash', 'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['7-digit hash', 'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['wrong hash', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['other name, same hash', 'PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['unpadded base64', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'],
      ['url-safe base64', PETER_VKEY.replace('qq/', 'qq_')],
      ['name with a space', 'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['name with U+2003', 'Peter\u2003Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
      ['trailing newline', PETER_VKEY + '\n'],
    ]
    for (const [why, vkey] of bad) {
      it(`throws PROTO_KEY_INVALID for ${why}`, () => assert.equal(code(() => verifierFromString(vkey)), 'PROTO_KEY_INVALID'))
    }
  })

  describe('when fed thousands of mutated key strings', () => {
    it('returns a verifier or throws ProtocolError, and accepts only keys whose hash matches', () => {
      const r = rng(1)
      const pool = ed25519Keys.map((k) => enc.encode(k))
      let ok = 0
      for (let i = 0; i < 3000; i++) {
        let b: Uint8Array = pool[int(r, pool.length)]!
        for (let j = 1 + int(r, 3); j > 0; j--) b = mutate(r, b, pool)
        const s = new TextDecoder().decode(b)
        if (outcome(() => verifierFromString(s), s) === 'ok') {
          ok++
          const v = verifierFromString(s)
          assert.equal(keyHash(v.name, 1, v.publicKey), v.keyHash)
          assert.equal(formatVerifierKey(v.name, v.publicKey), s) // one spelling per key
        }
      }
      assert.ok(ok > 0, 'some mutations (e.g. line duplication) leave the key intact')
    })
  })
})

describe('isValidKeyName', () => {
  it('accepts names Go accepts, including U+FEFF, which Go does not count as a space', () => {
    for (const n of ['a', 'example.com/log', 'sum.golang.org', 'Ωmega', 'a\ufeffb', 'a\u007fb', 'x=y/z']) assert.ok(isValidKeyName(n), n)
  })
  it('refuses empty names, "+", every Unicode space Go knows, controls and lone surrogates', () => {
    const spaces = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000']
    for (const bad of ['', 'a+b', ...spaces.map((s) => `a${s}b`), 'a\u0000b', 'a\u001bb', 'a\ud800b']) {
      assert.ok(!isValidKeyName(bad), JSON.stringify(bad))
    }
  })
})

describe('signerFromString', () => {
  describe('when given the x/mod PeterNeumann signer key', () => {
    it('derives the key and the key ID of the matching verifier key', async () => {
      const s = await signerFromString(PETER_SKEY)
      const v = verifierFromString(PETER_VKEY)
      assert.equal(s.name, 'PeterNeumann')
      assert.equal(s.keyHash, 0xc74f20a3)
      const msg = enc.encode('hello\n')
      assert.ok(v.verify(msg, await s.sign(msg)))
    })
  })
  describe('when the key is malformed', () => {
    const bad: [string, string][] = [
      ['no PRIVATE+KEY prefix', 'PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'],
      ['lower-case prefix', PETER_SKEY.replace('PRIVATE+KEY', 'private+key')],
      ['wrong hash', PETER_SKEY.replace('c74f20a3', 'c74f20a4')],
      ['other name', PETER_SKEY.replace('PeterNeumann', 'PeterNeumanm')],
      ['unknown algorithm', PETER_SKEY.replace('+AYEK', '+AoEK')],
      ['short seed', 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKA=='],
      ['too few fields', 'PRIVATE+KEY+PeterNeumann'],
    ]
    for (const [why, skey] of bad) {
      it(`throws PROTO_KEY_INVALID without quoting the key, for ${why}`, async () => {
        await assert.rejects(signerFromString(skey), (e: unknown) => {
          assert.ok(isProtocolError(e, 'PROTO_KEY_INVALID'))
          assert.ok(!e.message.includes('AYEK'), 'the secret is not in the message')
          return true
        })
      })
    }
  })
  describe('when fed mutated signer keys', () => {
    it('returns a signer or throws ProtocolError', async () => {
      const r = rng(2)
      const base = enc.encode(PETER_SKEY)
      for (let i = 0; i < 500; i++) {
        const s = new TextDecoder().decode(mutate(r, base))
        await outcomeAsync(() => signerFromString(s), s)
      }
    })
  })
})

describe('formatSignerKey', () => {
  it('writes the x/mod signer key string byte for byte', async () => {
    assert.equal(await formatSignerKey('PeterNeumann', PETER_SEED), PETER_SKEY)
  })
  it('round-trips through signerFromString for a fresh seed', async () => {
    const seed = new Uint8Array(32).fill(7)
    const s = await signerFromString(await formatSignerKey('example.com/log', seed))
    assert.equal(s.keyHash, (await ed25519Signer('example.com/log', seed)).keyHash)
  })
  it('throws PROTO_KEY_INVALID for a bad name or a seed that is not 32 bytes', async () => {
    assert.equal(await outcomeAsync(() => formatSignerKey('a b', PETER_SEED)), 'PROTO_KEY_INVALID')
    assert.equal(await outcomeAsync(() => formatSignerKey('ab', PETER_SEED.subarray(1))), 'PROTO_KEY_INVALID')
  })
})

describe('formatVerifierKey', () => {
  it('matches the golden string for the PeterNeumann key', () => {
    assert.equal(formatVerifierKey('PeterNeumann', verifierFromString(PETER_VKEY).publicKey), PETER_VKEY)
  })
  it('throws PROTO_KEY_INVALID for a key that is not 32 bytes or a bad name', () => {
    assert.equal(code(() => formatVerifierKey('a', new Uint8Array(31))), 'PROTO_KEY_INVALID')
    assert.equal(code(() => formatVerifierKey('a+b', new Uint8Array(32))), 'PROTO_KEY_INVALID')
  })
})
