import '../../dist/node.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromBase64, toBase64, toHex } from '../../dist/bytes.js'
import { format, parse } from '../../dist/checkpoint/checkpoint.js'
import { parse as parseNote } from '../../dist/note/open.js'
import { vectorJson, vectorText } from '../vectors.js'
import { enc, hex, int, lossy, mutate, outcome, rng } from '../note/helpers.js'

const vectors: { id: string; note: string; checkpoint?: { origin: string; size: number; rootHashB64: string } }[] =
  vectorJson('signed-notes.json').vectors
const e2e = vectorJson('sigsum-proof-e2e.json')
// Every vector except the prose note is a checkpoint.
const bodies = vectors.filter((v) => !v.id.startsWith('xmod') && !v.id.startsWith('c2sp')).map((v) => parseNote(v.note).text)
const ZERO = new Uint8Array(32)

describe('checkpoint.parse', () => {
  describe('when given the real sum.golang.org checkpoint 6476701', () => {
    it('reads origin, size and root hash', () => {
      const v = vectors.find((v) => v.checkpoint)!
      const cp = parse(parseNote(vectorText('sumdb-checkpoint-6476701.note')).text)
      assert.equal(cp.origin, v.checkpoint!.origin)
      assert.equal(cp.size, v.checkpoint!.size)
      assert.deepEqual(cp.rootHash, fromBase64(v.checkpoint!.rootHashB64))
      assert.deepEqual(cp.extensions, [])
    })
  })

  describe('when given every checkpoint vector', () => {
    it('parses it and formats it back to the same text', () => {
      assert.ok(bodies.length >= 8)
      for (const body of bodies) assert.equal(format(parse(body)), body)
    })
  })

  describe('when given the real Sigsum checkpoints', () => {
    it('reads the size and root hash the proof bundle states', () => {
      for (const c of e2e.cases) {
        const cp = parse(c.expectedCheckpointText)
        assert.equal(cp.origin, `sigsum.org/v1/tree/${c.logKeyHash}`)
        assert.equal(cp.size, c.size)
        assert.equal(toHex(cp.rootHash), c.rootHash)
      }
    })
  })

  describe('when the checkpoint has extension lines', () => {
    it('returns them in order', () => {
      const cp = parse('o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\n— two\n')
      assert.deepEqual(cp.extensions, ['ext one', '— two'])
    })
  })

  describe('when the size is 0 or the largest safe integer', () => {
    it('accepts it', () => {
      assert.equal(parse('o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n').size, 0)
      assert.equal(parse(`o\n${Number.MAX_SAFE_INTEGER}\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`).size, Number.MAX_SAFE_INTEGER)
    })
  })

  describe('when the checkpoint breaks a rule', () => {
    const H = toBase64(ZERO)
    const cases: [string, string, string][] = [
      ['it lacks the final newline', `o\n1\n${H}`, 'PROTO_MALFORMED'],
      ['it has two lines', `o\n1\n`, 'PROTO_MALFORMED'],
      ['it is empty', '', 'PROTO_MALFORMED'],
      ['the origin is empty', `\n1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the origin holds a carriage return', `o\r\n1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the origin holds a lone surrogate', `o\ud800\n1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size has a leading zero', `o\n01\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is "00"', `o\n00\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size has a sign', `o\n+1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is negative', `o\n-1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size has a space', `o\n 1\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is hex', `o\n0x10\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is in exponent form', `o\n1e3\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is empty', `o\n\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size uses non-ASCII digits', `o\n\u0661\n${H}\n`, 'PROTO_MALFORMED'],
      ['the size is 2^53', `o\n9007199254740992\n${H}\n`, 'PROTO_TOO_LARGE'],
      ['the size is 2^64-1', `o\n18446744073709551615\n${H}\n`, 'PROTO_TOO_LARGE'],
      ['the hash is 31 bytes', `o\n1\n${toBase64(new Uint8Array(31))}\n`, 'PROTO_MALFORMED'],
      ['the hash is 33 bytes', `o\n1\n${toBase64(new Uint8Array(33))}\n`, 'PROTO_MALFORMED'],
      ['the hash is unpadded', `o\n1\n${H.slice(0, -1)}\n`, 'PROTO_MALFORMED'],
      ['the hash has non-zero padding bits', `o\n1\n${H.slice(0, -2)}B=\n`, 'PROTO_MALFORMED'],
      ['the hash is url-safe base64', `o\n1\n_${H.slice(1)}\n`, 'PROTO_MALFORMED'],
      ['the hash is hex', `o\n1\n${'00'.repeat(32)}\n`, 'PROTO_MALFORMED'],
      ['an extension line is empty', `o\n1\n${H}\n\n`, 'PROTO_MALFORMED'],
      ['an empty line sits between extensions', `o\n1\n${H}\na\n\nb\n`, 'PROTO_MALFORMED'],
      ['an extension line holds a tab', `o\n1\n${H}\na\tb\n`, 'PROTO_MALFORMED'],
    ]
    for (const [why, text, code] of cases) {
      it(`throws ${code} when ${why}`, () => assert.equal(outcome(() => parse(text)), code))
    }
  })

  describe('when fed thousands of mutated and random checkpoints', () => {
    it('returns a checkpoint or throws ProtocolError, and what it returns formats back to the input', () => {
      const r = rng(5)
      const pool = bodies.map((b) => enc.encode(b))
      let ok = 0
      for (let i = 0; i < 5000; i++) {
        let b: Uint8Array = i % 10 === 0 ? Uint8Array.from({ length: int(r, 80) }, () => int(r, 128)) : pool[int(r, pool.length)]!
        for (let j = 1 + int(r, 2); j > 0; j--) b = mutate(r, b, pool)
        const text = lossy.decode(b)
        if (outcome(() => parse(text), text) === 'ok') {
          ok++
          assert.equal(format(parse(text)), text, 'one spelling per checkpoint')
        }
      }
      assert.ok(ok > 100, `${ok} mutations still parsed`)
    })
  })
})

describe('checkpoint.format', () => {
  describe('when given known checkpoints', () => {
    it('writes the golden strings', () => {
      assert.equal(
        format({ origin: 'go.sum database tree', size: 6476701, rootHash: fromBase64('mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk='), extensions: [] }),
        'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n',
      )
      assert.equal(
        format({ origin: 'example.org/log', size: 10, rootHash: fromBase64('HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), extensions: [] }),
        'example.org/log\n10\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n',
      )
      const c = e2e.cases[0]
      assert.equal(
        format({ origin: `sigsum.org/v1/tree/${c.logKeyHash}`, size: c.size, rootHash: hex(c.rootHash), extensions: [] }),
        c.expectedCheckpointText,
      )
      assert.equal(format({ origin: 'o', size: 0, rootHash: ZERO, extensions: ['x', 'y z'] }), 'o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nx\ny z\n')
    })
  })

  describe('when a field cannot be written', () => {
    const cases: [string, Parameters<typeof format>[0]][] = [
      ['the origin is empty', { origin: '', size: 1, rootHash: ZERO, extensions: [] }],
      ['the origin holds a newline', { origin: 'a\nb', size: 1, rootHash: ZERO, extensions: [] }],
      ['the size is negative', { origin: 'o', size: -1, rootHash: ZERO, extensions: [] }],
      ['the size is fractional', { origin: 'o', size: 1.5, rootHash: ZERO, extensions: [] }],
      ['the size is not safe', { origin: 'o', size: 2 ** 53, rootHash: ZERO, extensions: [] }],
      ['the hash is 31 bytes', { origin: 'o', size: 1, rootHash: new Uint8Array(31), extensions: [] }],
      ['an extension is empty', { origin: 'o', size: 1, rootHash: ZERO, extensions: [''] }],
      ['an extension holds a newline', { origin: 'o', size: 1, rootHash: ZERO, extensions: ['a\n'] }],
    ]
    for (const [why, cp] of cases) {
      it(`throws PROTO_MALFORMED when ${why}`, () => assert.equal(outcome(() => format(cp)), 'PROTO_MALFORMED'))
    }
  })
})
