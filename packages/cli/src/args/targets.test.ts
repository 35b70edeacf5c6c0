import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { merkleTargets, toBase64 } from '@palisade/protocol'
import { MAX_EXPLICIT_TARGETS, parseTargetsFile, parseTargetsOption, selectTargets } from './targets.js'

describe('parseTargetsOption', () => {
  it('reads all, or ids separated by commas (spaces and empty items ignored)', () => {
    assert.deepEqual(parseTargetsOption('all'), { kind: 'all' })
    assert.deepEqual(parseTargetsOption('dev-2, dev-1,,'), { kind: 'ids', ids: ['dev-2', 'dev-1'] })
  })
  it('refuses invalid ids and an empty list, quoting the bad id', () => {
    assert.throws(() => parseTargetsOption('dev-1,../x'), { code: 'CLI_ARG_INVALID', message: /invalid device id "..\/x"/ })
    assert.throws(() => parseTargetsOption(',,'), { code: 'CLI_ARG_INVALID' })
    assert.throws(() => parseTargetsOption('-dev'), { code: 'CLI_ARG_INVALID' })
  })
})

describe('parseTargetsFile', () => {
  it('reads one id per line, skipping blanks and comments', () => {
    assert.deepEqual(parseTargetsFile('# fleet\ndev-1\n\n  dev-2  # web\r\n', 'f'), ['dev-1', 'dev-2'])
  })
  it('names the line of a bad id, and refuses a file without ids', () => {
    assert.throws(() => parseTargetsFile('dev-1\nbad id\n', 'hosts.txt'), { code: 'CLI_ARG_INVALID', message: /in hosts.txt line 2/ })
    assert.throws(() => parseTargetsFile('# nothing\n', 'hosts.txt'), { code: 'CLI_ARG_INVALID', message: /lists no device ids/ })
  })
})

describe('selectTargets', () => {
  it('keeps all as all', () => {
    assert.deepEqual(selectTargets({ kind: 'all' }), { targets: { kind: 'all' } })
  })
  it('sorts and deduplicates an explicit list, without targetIds', () => {
    assert.deepEqual(selectTargets({ kind: 'ids', ids: ['b', 'a', 'b'] }), { targets: { kind: 'devices', ids: ['a', 'b'] } })
  })
  it('lists up to 1000 ids, and commits to 1001 with a Merkle root plus the sorted ids', () => {
    const ids = Array.from({ length: MAX_EXPLICIT_TARGETS + 1 }, (_, i) => `dev-${String(i).padStart(5, '0')}`).reverse()
    const at = selectTargets({ kind: 'ids', ids: ids.slice(0, MAX_EXPLICIT_TARGETS) })
    assert.equal(at.targets.kind, 'devices')
    assert.equal(at.targetIds, undefined)
    const over = selectTargets({ kind: 'ids', ids })
    assert.equal(over.targets.kind, 'merkle')
    assert.deepEqual(over.targetIds, [...ids].sort())
    const expected = merkleTargets(ids)
    if (over.targets.kind !== 'merkle' || expected.kind !== 'merkle') throw new Error('not merkle')
    assert.equal(toBase64(over.targets.root), toBase64(expected.root))
    assert.equal(over.targets.count, 1001)
  })
})
