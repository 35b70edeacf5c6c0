import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { formatRootLine, parseRootLine, checkpointRootLine, isRootLine } from '../../dist/node.js'

const FP = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'

describe('root line (checkpoint extension)', () => {
  it('formats the golden string', () => {
    assert.equal(formatRootLine({ version: 1, fingerprint: FP }), `palisade-root 1 ${FP}`)
    assert.equal(formatRootLine({ version: 42, fingerprint: 'ab'.repeat(32) }), `palisade-root 42 ${'ab'.repeat(32)}`)
  })
  it('parses the golden string and round-trips', () => {
    const line = `palisade-root 7 ${FP}`
    assert.deepEqual({ ...parseRootLine(line) }, { version: 7, fingerprint: FP })
    assert.equal(formatRootLine(parseRootLine(line)), line)
  })
  it('accepts exactly one spelling', () => {
    for (const bad of [
      `palisade-root 0 ${FP}`, `palisade-root 01 ${FP}`, `palisade-root -1 ${FP}`, `palisade-root 1 ${FP.toUpperCase()}`,
      `palisade-root 1 ${FP.slice(1)}`, `palisade-root  1 ${FP}`, `palisade-root 1 ${FP} `, `palisade-root 1 ${FP} extra`,
      `palisade-root 1`, 'palisade-root', `Palisade-root 1 ${FP}`, `palisade-root 99999999999999999999 ${FP}`,
    ]) assert.throws(() => parseRootLine(bad), { code: 'PROTO_MALFORMED' }, bad)
  })
  it('refuses to format what it could not parse', () => {
    assert.throws(() => formatRootLine({ version: 0, fingerprint: FP }), { code: 'PROTO_MALFORMED' })
    assert.throws(() => formatRootLine({ version: 1.5, fingerprint: FP }), { code: 'PROTO_MALFORMED' })
    assert.throws(() => formatRootLine({ version: 1, fingerprint: 'xyz' }), { code: 'PROTO_MALFORMED' })
  })
  it('finds exactly one root line among extension lines', () => {
    assert.deepEqual({ ...checkpointRootLine(['other 1', `palisade-root 3 ${FP}`]) }, { version: 3, fingerprint: FP })
    assert.throws(() => checkpointRootLine([]), { code: 'PROTO_MALFORMED' })
    assert.throws(() => checkpointRootLine([`palisade-root 3 ${FP}`, `palisade-root 3 ${FP}`]), { code: 'PROTO_MALFORMED' })
    assert.throws(() => checkpointRootLine(['palisade-root x']), { code: 'PROTO_MALFORMED' })
    assert.equal(isRootLine('palisade-rootx 1'), false)
  })
})
