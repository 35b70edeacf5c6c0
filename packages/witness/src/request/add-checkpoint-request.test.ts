import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toBase64, utf8 } from '@palisade/protocol'
import { isWitnessError } from '../errors.js'
import { formatAddCheckpointRequest, MAX_PROOF_LINES, parseAddCheckpointRequest } from './add-checkpoint-request.js'

// The example request body of c2sp.org/tlog-witness §add-checkpoint, verbatim.
const SPEC_EXAMPLE =
  'old 20852014\n' +
  'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n' +
  'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n' +
  '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n' +
  '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n' +
  '\n' +
  'example.com/behind-the-sofa\n' +
  '20852163\n' +
  'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n' +
  '\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n'

const HASH = toBase64(new Uint8Array(32).fill(7))
const NOTE = 'example.com/log\n1\n' + HASH + '\n\n— example.com/log AAAAAAE=\n'

function malformed(body: string | Uint8Array): void {
  assert.throws(() => parseAddCheckpointRequest(body), (e) => isWitnessError(e, 'WIT_MALFORMED') && e.message === 'malformed add-checkpoint request')
}

describe('parseAddCheckpointRequest', () => {
  it('parses the example body of the spec', () => {
    const req = parseAddCheckpointRequest(utf8(SPEC_EXAMPLE))
    assert.equal(req.oldSize, 20852014)
    assert.equal(req.proof.length, 4)
    assert.equal(toBase64(req.proof[3]!), '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=')
    assert.equal(req.origin, 'example.com/behind-the-sofa')
    assert.equal(req.note, SPEC_EXAMPLE.slice(SPEC_EXAMPLE.indexOf('\n\n') + 2))
  })

  it('round-trips through formatAddCheckpointRequest byte for byte', () => {
    assert.equal(formatAddCheckpointRequest(parseAddCheckpointRequest(SPEC_EXAMPLE)), SPEC_EXAMPLE)
    const zero = `old 0\n\n${NOTE}`
    assert.equal(formatAddCheckpointRequest(parseAddCheckpointRequest(zero)), zero)
  })

  it('accepts 63 proof lines and refuses 64', () => {
    const lines = (n: number) => Array.from({ length: n }, () => `${HASH}\n`).join('')
    assert.equal(parseAddCheckpointRequest(`old 5\n${lines(MAX_PROOF_LINES)}\n${NOTE}`).proof.length, 63)
    malformed(`old 5\n${lines(64)}\n${NOTE}`)
  })

  for (const [why, body] of [
    ['an old size with a leading zero', `old 05\n\n${NOTE}`],
    ['"old 00"', `old 00\n\n${NOTE}`],
    ['a negative old size', `old -1\n\n${NOTE}`],
    ['an old size with a plus sign', `old +1\n\n${NOTE}`],
    ['two spaces after old', `old  1\n\n${NOTE}`],
    ['OLD in capitals', `OLD 1\n\n${NOTE}`],
    ['an old size above 2^53 - 1', `old 9007199254740993\n\n${NOTE}`],
    ['no old line', `\n${NOTE}`],
    ['no empty line', `old 1\n${NOTE}`],
    ['CRLF line ends', `old 1\r\n\r\n${NOTE}`],
    ['a proof hash of 31 bytes', `old 1\n${toBase64(new Uint8Array(31))}\n\n${NOTE}`],
    ['a proof hash without padding', `old 1\n${HASH.slice(0, -1)}\n\n${NOTE}`],
    ['a proof hash with non-zero padding bits', `old 1\n${HASH.slice(0, -2)}9=\n\n${NOTE}`],
    ['a note without signatures', `old 0\n\nexample.com/log\n1\n${HASH}\n`],
    ['a note not ending in a newline', `old 0\n\n${NOTE.slice(0, -1)}`],
    ['an empty origin line', `old 0\n\n\n1\n${HASH}\n\n— example.com/log AAAAAAE=\n`],
    ['an empty body', ''],
  ] as const) {
    it(`refuses ${why}`, () => malformed(body))
  }

  it('ends the proof at the first blank line: what follows is read as the note (and its origin)', () => {
    const req = parseAddCheckpointRequest(`old 1\n${HASH}\n\n${HASH}\n\n${NOTE}`)
    assert.equal(req.proof.length, 1)
    assert.equal(req.origin, HASH) // an unknown origin: the witness answers 404
  })

  it('refuses invalid UTF-8', () => {
    const bytes = utf8(`old 0\n\n${NOTE}`)
    bytes[bytes.length - 8] = 0xff
    malformed(bytes)
  })

  it('only ever throws WIT_MALFORMED, on 5000 mutations of a valid body', () => {
    const valid = utf8(SPEC_EXAMPLE)
    let seed = 0x9e3779b9
    const rand = (n: number) => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    let accepted = 0
    for (let i = 0; i < 5000; i++) {
      const b = Array.from(valid)
      for (let k = 1 + rand(4); k > 0; k--) {
        if (b.length === 0) break
        const at = rand(b.length)
        switch (rand(4)) {
          case 0: b[at] = rand(256); break
          case 1: b.splice(at, 1 + rand(8)); break
          case 2: b.splice(at, 0, [0x0a, 0x20, 0x2d, 0x3d, 0x30, rand(256)][rand(6)]!); break
          default: b.length = at
        }
      }
      try {
        parseAddCheckpointRequest(Uint8Array.from(b))
        accepted++
      } catch (e) {
        assert.ok(isWitnessError(e, 'WIT_MALFORMED'), String(e))
      }
    }
    assert.ok(accepted < 5000)
  })
})

describe('formatAddCheckpointRequest', () => {
  it('refuses a negative old size or a short hash', () => {
    assert.throws(() => formatAddCheckpointRequest({ oldSize: -1, proof: [], note: NOTE }), (e) => isWitnessError(e, 'WIT_MALFORMED'))
    assert.throws(() => formatAddCheckpointRequest({ oldSize: 1, proof: [new Uint8Array(31)], note: NOTE }), (e) => isWitnessError(e, 'WIT_MALFORMED'))
  })
})
