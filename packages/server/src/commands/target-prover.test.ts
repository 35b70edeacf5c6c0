import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isTargeted, merkleTargets, targetProof } from '@palisade/protocol'
import { allTargetProofs } from './target-prover.js'

const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(5, '0')}`)

describe('allTargetProofs', () => {
  it('gives exactly protocol\'s targetProof for every member, for sizes 1 to 70', () => {
    for (let n = 1; n <= 70; n++) {
      const set = ids(n)
      const all = allTargetProofs(set)
      assert.equal(all.size, n)
      for (const id of set) assert.deepEqual(all.get(id), targetProof(set, id), `n=${n} ${id}`)
    }
  })

  it('proves every member of a 10,000-device set quickly, and devices accept the proofs', () => {
    const set = ids(10_000)
    const started = performance.now()
    const all = allTargetProofs(set)
    assert.ok(performance.now() - started < 2000)
    const targets = merkleTargets(set)
    for (const id of [set[0]!, set[4321]!, set[9999]!]) assert.ok(isTargeted(targets, id, all.get(id)))
    assert.ok(!isTargeted(targets, 'dev-x', all.get(set[0]!)))
  })

  it('returns nothing for an empty set', () => {
    assert.equal(allTargetProofs([]).size, 0)
  })
})
