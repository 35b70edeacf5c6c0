import { nodePublicKey } from '../../dist/node.js' // also installs node:crypto
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromBase64, toBase64 } from '../../dist/bytes.js'
import { isProtocolError, ProtocolError } from '../../dist/errors.js'
import { ed25519Signer, ed25519Verifier, verifierFromString, type Verifier } from '../../dist/note/key.js'
import { NOTE_MAX_BYTES, NOTE_MAX_SIGNATURES, open, parse, parseSignatureLine, type OpenedNote } from '../../dist/note/open.js'
import { formatSignatureLine, sign } from '../../dist/note/sign.js'
import { witnessVerifierFromString } from '../../dist/cosignature/cosignature.js'
import { vectorJson, vectorText } from '../vectors.js'
import { enc, int, lossy, mutate, outcome, rng } from './helpers.js'

interface NoteVector {
  id: string
  vkeys: string[]
  note: string
  expect: Record<string, 'ok' | 'unknown' | 'bad'>
  wantReject?: boolean
}
const data = vectorJson('signed-notes.json')
const vectors: NoteVector[] = data.vectors
const byId = (id: string) => vectors.find((v) => v.id === id)!

/** Type 0x01 keys are note keys, type 0x04 keys are witnesses. */
export function verifiersFor(vkeys: readonly string[]): Verifier[] {
  return vkeys.map((k) => (fromBase64(k.split('+').slice(2).join('+'))[0] === 0x04 ? witnessVerifierFromString(k) : verifierFromString(k)))
}

function textOf(note: string): string {
  return note.slice(0, note.lastIndexOf('\n\n') + 1)
}

function rejects(fn: () => unknown, code: string): ProtocolError {
  try {
    fn()
  } catch (e) {
    assert.ok(isProtocolError(e), String(e))
    assert.equal(e.code, code, e.message)
    return e
  }
  return assert.fail(`expected ${code}`)
}

const PETER = byId('xmod-peterneumann')
const peter = verifierFromString(PETER.vkeys[0]!)

describe('open', () => {
  describe('when given each signed-notes.json vector with its verifier keys', () => {
    for (const v of vectors) {
      const verdicts = Object.values(v.expect)
      const outcomeText = verdicts.includes('bad') ? 'rejects it (PROTO_SIG_INVALID)' : verdicts.includes('ok') ? 'verifies the expected signatures' : 'rejects it (PROTO_NOTE_UNVERIFIED)'
      it(`${outcomeText}: ${v.id}`, () => {
        const verifiers = verifiersFor(v.vkeys)
        if (verdicts.includes('bad')) {
          const e = rejects(() => open(v.note, verifiers), 'PROTO_SIG_INVALID')
          const badName = Object.keys(v.expect).find((n) => v.expect[n] === 'bad')
          assert.equal(e.details?.name, badName)
          assert.ok(v.wantReject)
          return
        }
        let opened: OpenedNote
        if (!verdicts.includes('ok')) {
          assert.ok(v.wantReject)
          const e = rejects(() => open(v.note, verifiers), 'PROTO_NOTE_UNVERIFIED')
          opened = e.details!.note as OpenedNote
        } else {
          opened = open(v.note, verifiers)
        }
        assert.equal(opened.text, textOf(v.note))
        const ok = Object.keys(v.expect).filter((n) => v.expect[n] === 'ok')
        const unknown = Object.keys(v.expect).filter((n) => v.expect[n] === 'unknown')
        assert.deepEqual(opened.signatures.map((s) => s.name).sort(), ok.sort())
        assert.deepEqual(opened.unverified.map((s) => s.name).sort(), unknown.sort())
      })
    }
  })

  describe('when given the byte-exact .note files', () => {
    const files: [string, string, string][] = [
      ['sumdb-checkpoint-6476701.note', 'sumdb-checkpoint-6476701', 'sum.golang.org'],
      ['c2sp-signed-note-example.note', 'c2sp-signed-note-example', 'example.com/foo'],
      ['cosignature-v1-sigsum-go.note', 'cosignature-v1-sigsum-go', 'example.org/witness'],
    ]
    for (const [file, id, signer] of files) {
      it(`verifies ${file} from bytes and from a string alike`, () => {
        const text = vectorText(file)
        assert.equal(text, byId(id).note)
        const verifiers = verifiersFor(byId(id).vkeys)
        const fromBytes = open(enc.encode(text), verifiers)
        const fromString = open(text, verifiers)
        assert.deepEqual(fromBytes, fromString)
        assert.deepEqual(fromBytes.signatures.map((s) => s.name), [signer])
      })
    }
  })

  describe('when the checkpoint is the tlog-checkpoint spec example as printed (origin edited)', () => {
    it('throws PROTO_SIG_INVALID: the known key signed another text', () => {
      const v = byId('sumdb-checkpoint-20852163-as-in-c2sp-spec')
      const printed = v.note.replace('go.sum database tree', 'example.com/behind-the-sofa')
      rejects(() => open(printed, verifiersFor(v.vkeys)), 'PROTO_SIG_INVALID')
    })
  })

  describe('when the note is signed with ECDSA (Rekor), a type we do not support', () => {
    it('reports the signature as unknown and throws PROTO_NOTE_UNVERIFIED', () => {
      const e = rejects(() => open(data.ecdsaExample.note, [peter]), 'PROTO_NOTE_UNVERIFIED')
      const note = e.details!.note as OpenedNote
      assert.deepEqual(note.unverified.map((s) => [s.name, s.keyHash]), [['rekor.sigstore.dev', 0xc0d23d6a]])
      assert.equal(note.text, textOf(data.ecdsaExample.note))
    })
  })

  describe('when a signature has the known name but another key ID, or the known key ID under another name', () => {
    it('ignores both as unknown (signed-note: name AND ID identify a key)', () => {
      const sig = parse(PETER.note).signatures[0]!
      const lines = [
        formatSignatureLine({ ...sig, keyHash: (sig.keyHash ^ 1) >>> 0 }),
        formatSignatureLine({ ...sig, name: 'PeterNeumanm' }),
      ]
      const e = rejects(() => open(textOf(PETER.note) + '\n' + lines.join(''), [peter]), 'PROTO_NOTE_UNVERIFIED')
      assert.equal((e.details!.note as OpenedNote).unverified.length, 2)
    })
  })

  describe('when a signature line is repeated', () => {
    it('keeps one copy of an identical unknown line', () => {
      const v = byId('xmod-two-signers-one-known')
      const enoch = v.note.split('\n').find((l) => l.includes('EnochRoot'))! + '\n'
      const opened = open(v.note + enoch + enoch, [peter])
      assert.equal(opened.unverified.length, 1)
    })
    it('checks only the first line of a known key and ignores later ones, as Go does', () => {
      const garbage = formatSignatureLine({ name: 'PeterNeumann', keyHash: 0xc74f20a3, signature: new Uint8Array(64) })
      const opened = open(PETER.note + garbage, [peter])
      assert.equal(opened.signatures.length, 1)
    })
    it('throws PROTO_SIG_INVALID when the first line of a known key is the bad one', () => {
      const garbage = formatSignatureLine({ name: 'PeterNeumann', keyHash: 0xc74f20a3, signature: new Uint8Array(64) })
      rejects(() => open(textOf(PETER.note) + '\n' + garbage + PETER.note.slice(textOf(PETER.note).length + 1), [peter]), 'PROTO_SIG_INVALID')
    })
  })

  describe('when two verifiers share a name and key ID', () => {
    it('throws PROTO_KEY_INVALID (ambiguous key)', () => {
      rejects(() => open(PETER.note, [peter, peter]), 'PROTO_KEY_INVALID')
    })
  })

  describe('when no verifiers are given', () => {
    it('throws PROTO_NOTE_UNVERIFIED with every signature unverified', () => {
      const e = rejects(() => open(PETER.note, []), 'PROTO_NOTE_UNVERIFIED')
      assert.equal((e.details!.note as OpenedNote).unverified.length, 1)
    })
  })

  describe('when the note is malformed', () => {
    const text = textOf(PETER.note)
    const line = PETER.note.slice(text.length + 1)
    const b64 = line.split(' ')[2]!.trimEnd()
    const cases: [string, string | Uint8Array][] = [
      ['it is empty', ''],
      ['it has no blank line', text + line],
      ['it does not end in a newline', PETER.note.slice(0, -1)],
      ['the signature block is empty', text + '\n'],
      ['a signature line is blank', PETER.note + '\n'],
      ['the text holds a carriage return', PETER.note.replace('problem,', 'problem,\r')],
      ['the text holds a tab', PETER.note.replace('If you', 'If\tyou')],
      ['it holds NUL', PETER.note.replace('If', 'I\u0000f')],
      ['it is not UTF-8', Uint8Array.from([...enc.encode(text), 0xff, ...enc.encode('\n' + line)])],
      ['it holds an overlong encoding', Uint8Array.from([...enc.encode(text), 0xc0, 0xaf, ...enc.encode('\n' + line)])],
      ['it holds an encoded surrogate', Uint8Array.from([...enc.encode(text), 0xed, 0xa0, 0x80, ...enc.encode('\n' + line)])],
      ['it holds a lone surrogate', PETER.note.replace('If', 'I\ud800f')],
      ['the line starts with a hyphen', PETER.note.replace('\u2014', '-')],
      ['the line starts with an en dash', PETER.note.replace('\u2014', '\u2013')],
      ['the dash has no space after it', PETER.note.replace('\u2014 ', '\u2014')],
      ['the line has two spaces after the name', PETER.note.replace('PeterNeumann ', 'PeterNeumann  ')],
      ['the line has no signature', text + '\n\u2014 PeterNeumann\n'],
      ['the line has an empty signature', text + '\n\u2014 PeterNeumann \n'],
      ['the name holds U+00A0', PETER.note.replace('Peter', 'Peter\u00a0')],
      ['the name holds "+"', PETER.note.replace('Peter', 'Peter+')],
      ['the base64 has trailing space', PETER.note.replace(b64, b64 + ' ')],
      ['the base64 is unpadded', PETER.note.replace(b64, b64.slice(0, -1))],
      ['the base64 has non-zero padding bits', PETER.note.replace(b64, b64.slice(0, -2) + 'N=')],
      ['the base64 is url-safe', PETER.note.replace(b64, b64.replace('/', '_'))],
      ['the signature is only a key ID', text + '\n\u2014 PeterNeumann ' + toBase64(Uint8Array.of(0xc7, 0x4f, 0x20, 0xa3)) + '\n'],
      ['it is just newlines', '\n\n'],
    ]
    for (const [why, note] of cases) {
      it(`throws PROTO_MALFORMED "malformed note" when ${why}`, () => {
        const e = rejects(() => open(note, [peter]), 'PROTO_MALFORMED')
        assert.equal(e.message, 'malformed note')
      })
    }
    it('sanity: the padding-bit mutation above changed only the encoding', () => {
      assert.ok(b64.endsWith('M='))
    })
  })

  describe('when the note exceeds a limit', () => {
    it(`accepts ${NOTE_MAX_SIGNATURES} signatures`, () => {
      const unknown = formatSignatureLine({ name: 'x', keyHash: 1, signature: new Uint8Array(64) })
      const lines = Array.from({ length: NOTE_MAX_SIGNATURES - 1 }, (_, i) => unknown.replace('x', `x${i}`))
      assert.equal(open(PETER.note + lines.join(''), [peter]).unverified.length, NOTE_MAX_SIGNATURES - 1)
    })
    it(`throws PROTO_TOO_LARGE for ${NOTE_MAX_SIGNATURES + 1} signatures`, () => {
      const unknown = formatSignatureLine({ name: 'x', keyHash: 1, signature: new Uint8Array(64) })
      rejects(() => open(PETER.note + unknown.repeat(NOTE_MAX_SIGNATURES), [peter]), 'PROTO_TOO_LARGE')
    })
    it(`throws PROTO_TOO_LARGE above ${NOTE_MAX_BYTES} bytes, as a string (counted in UTF-8) or as bytes`, () => {
      const big = 'é'.repeat(NOTE_MAX_BYTES / 2) + '\n' + '\n' + parse(PETER.note).signatures.map(formatSignatureLine).join('')
      assert.ok(big.length < NOTE_MAX_BYTES, 'only the UTF-8 length is over')
      rejects(() => open(big, [peter]), 'PROTO_TOO_LARGE')
      rejects(() => open(enc.encode(big), [peter]), 'PROTO_TOO_LARGE')
    })
  })

  describe('when the text contains blank lines, a BOM, or lines that look like signatures', () => {
    it('returns the text up to the last blank line, byte for byte', async () => {
      const seed = new Uint8Array(32).fill(3)
      const s = await ed25519Signer('example.com/k', seed)
      const v = ed25519Verifier('example.com/k', nodePublicKey(seed))
      for (const text of ['a\n\nb\n', '\ufeffhello\n', '\n', 'x\n\n\u2014 PeterNeumann AAAA\n', 'tail\n\n\n']) {
        const note = await sign(text, [s])
        assert.equal(open(note, [v]).text, text)
        assert.equal(open(enc.encode(note), [v]).text, text)
      }
    })
  })

  describe('when fed thousands of mutated and random notes', () => {
    it('returns a note or throws ProtocolError, and every note it returns has the signed text', () => {
      const r = rng(3)
      const pool = vectors.map((v) => enc.encode(v.note))
      const signedTexts = new Set(vectors.map((v) => textOf(v.note)))
      const seen = new Map<string, number>()
      for (let i = 0; i < 4000; i++) {
        const v = vectors[int(r, vectors.length)]!
        let b: Uint8Array = i % 10 === 0 ? randomNoteLike(r) : enc.encode(v.note)
        for (let j = 1 + int(r, 3); j > 0; j--) b = mutate(r, b, pool)
        const verifiers = verifiersFor(v.vkeys)
        for (const input of [b, lossy.decode(b)]) {
          const res = outcome(() => open(input, verifiers), input)
          seen.set(res, (seen.get(res) ?? 0) + 1)
          if (res === 'ok') assert.ok(signedTexts.has(open(input, verifiers).text), 'a verified text is one that was signed')
          outcome(() => parse(input), input)
        }
      }
      for (const c of ['ok', 'PROTO_MALFORMED', 'PROTO_SIG_INVALID', 'PROTO_NOTE_UNVERIFIED']) assert.ok(seen.has(c), `reached ${c}`)
    })
  })
})

describe('parseSignatureLine', () => {
  it('reads the name, key ID and signature bytes of a line', () => {
    const s = parseSignatureLine(byId('c2sp-signed-note-example').note.split('\n')[2]!)
    assert.equal(s.name, 'example.com/foo')
    assert.equal(s.keyHash, 0x530d903a)
    assert.equal(s.signature.length, 64)
  })
  it('throws PROTO_MALFORMED for a line with its newline still attached', () => {
    rejects(() => parseSignatureLine(byId('c2sp-signed-note-example').note.split('\n')[2]! + '\n'), 'PROTO_MALFORMED')
  })
})

function randomNoteLike(r: () => number): Uint8Array {
  const parts = ['line', '\n', '\n\n', '\u2014 ', 'name ', 'AAAA', 'x08go/ZJkuBS9UG/Sffc', '=', '+', ' ', '\u00e9']
  let s = ''
  for (let n = int(r, 30); n > 0; n--) s += parts[int(r, parts.length)]
  return enc.encode(s)
}
