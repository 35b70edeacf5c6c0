import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hash } from '@node-rs/argon2'
import { ARGON2_PARAMS, dummyPasswordHash, hashPassword, hasCurrentParams, verifyPassword } from './password-hash.js'

describe('hashPassword / verifyPassword', () => {
  it('makes argon2id PHC strings with the OWASP parameters and a fresh salt', async () => {
    const a = await hashPassword('plum tractor sandwich')
    const b = await hashPassword('plum tractor sandwich')
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.notEqual(a, b)
    assert.deepEqual(ARGON2_PARAMS, { memoryCost: 19456, timeCost: 2, parallelism: 1 })
  })

  it('verifies the right password, refuses a wrong one, and compares NFC forms', async () => {
    const stored = await hashPassword('caf\u00e9 au lait please')
    assert.deepEqual(await verifyPassword(stored, 'caf\u00e9 au lait please'), { ok: true, needsRehash: false })
    assert.deepEqual(await verifyPassword(stored, 'cafe\u0301 au lait please'), { ok: true, needsRehash: false })
    assert.deepEqual(await verifyPassword(stored, 'cafe au lait please'), { ok: false, needsRehash: false })
  })

  it('asks for a rehash when a matching hash uses older parameters', async () => {
    const old = await hash('plum tractor sandwich', { memoryCost: 4096, timeCost: 3, parallelism: 1 })
    assert.equal(hasCurrentParams(old), false)
    assert.deepEqual(await verifyPassword(old, 'plum tractor sandwich'), { ok: true, needsRehash: true })
    assert.deepEqual(await verifyPassword(old, 'wrong'), { ok: false, needsRehash: false })
  })

  it('treats a malformed stored hash as a mismatch, not an exception', async () => {
    assert.deepEqual(await verifyPassword('not a hash', 'x'), { ok: false, needsRehash: false })
  })

  it('keeps one dummy hash for unknown users, with the current parameters', async () => {
    const d = await dummyPasswordHash()
    assert.equal(d, await dummyPasswordHash())
    assert.ok(hasCurrentParams(d))
  })
})
