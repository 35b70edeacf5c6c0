// The monitor's decision table on a growing log (log-growth.ts), with a
// frontier saved and restored as the state file holds it (monitor-state.ts),
// against protocol's own Merkle functions.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { equalBytes, isProtocolError, merkle, utf8, type checkpoint } from '@palisade/protocol'
import { checkGrowth, type VerifiedHead } from './log-growth.js'
import { restoreFrontier, saveFrontier } from './monitor-state.js'

const leaves = (n: number, tag = ''): Uint8Array[] => Array.from({ length: n }, (_, i) => utf8(`${tag}entry ${i}`))
const cp = (data: Uint8Array[]): checkpoint.Checkpoint => ({ origin: 'palisade/acme', size: data.length, rootHash: merkle.rootHash(data), extensions: [] })
const head = (data: Uint8Array[]): VerifiedHead => {
  const f = merkle.Frontier.empty()
  for (const d of data) f.append(d)
  return { size: data.length, rootHash: f.root(), frontier: restoreFrontier(f.size, saveFrontier(f)) }
}
const entries = (data: Uint8Array[], from: number) => data.slice(from).map((d, i) => ({ index: from + i, data: d }))

describe('the saved frontier', () => {
  it('computes every prefix root as protocol does, across save and restore', () => {
    const data = leaves(37)
    let f = merkle.Frontier.empty()
    for (let n = 0; n <= data.length; n++) {
      assert.ok(equalBytes(f.root(), merkle.rootHash(data.slice(0, n))), `size ${n}`)
      f = restoreFrontier(f.size, saveFrontier(f))
      if (n < data.length) f.append(data[n]!)
    }
  })
  it('refuses peaks that do not fit the size (PROTO_MALFORMED)', () => {
    assert.throws(() => restoreFrontier(5, []), (e) => isProtocolError(e, 'PROTO_MALFORMED'))
    assert.throws(() => restoreFrontier(1, ['not base64!']), (e) => isProtocolError(e))
  })
})

describe('checkGrowth', () => {
  const all = leaves(12)
  const prev = head(all.slice(0, 5))
  const proof = merkle.consistencyProof(all, 5, 12)

  it('accepts honest growth and returns the new frontier', () => {
    const g = checkGrowth(prev, cp(all), proof, entries(all, 5))
    assert.ok(g.ok && g.warning === undefined && equalBytes(g.frontier.root(), merkle.rootHash(all)))
  })

  it('calls altered entries under a valid proof MON_BAD_PROOF', () => {
    const altered = [...all]
    altered[7] = utf8('pwned')
    const g = checkGrowth(prev, cp(all), proof, entries(altered, 5))
    assert.equal(g.ok ? 'ok' : g.code, 'MON_BAD_PROOF')
    const withheld = checkGrowth(prev, cp(all), proof, entries(all, 5).slice(0, 3))
    assert.equal(withheld.ok ? 'ok' : withheld.code, 'MON_BAD_PROOF')
  })

  it('advances on good entries with a bad proof, with a MON_BAD_PROOF warning', () => {
    const g = checkGrowth(prev, cp(all), [], entries(all, 5))
    assert.ok(g.ok)
    assert.equal(g.warning?.code, 'MON_BAD_PROOF')
  })

  it('calls a checkpoint that extends another history MON_FORK, and so a shrunk log or another root at the same size', () => {
    const fork = [...all.slice(0, 3), ...leaves(9, 'fork ')]
    const g = checkGrowth(prev, cp(fork), merkle.consistencyProof(fork, 5, 12), entries(fork, 5))
    assert.equal(g.ok ? 'ok' : g.code, 'MON_FORK')
    const shrunk = checkGrowth(prev, cp(all.slice(0, 4)), [], [])
    assert.equal(shrunk.ok ? 'ok' : shrunk.code, 'MON_FORK')
    const same = checkGrowth(prev, cp(fork.slice(0, 5)), [], [])
    assert.equal(same.ok ? 'ok' : same.code, 'MON_FORK')
  })
})
