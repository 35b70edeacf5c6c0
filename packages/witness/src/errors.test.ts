import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { REFUSAL_STATUS, WITNESS_ERROR_CODES } from './errors.js'

describe('witness error codes', () => {
  it('are all documented in README.md, and README.md documents no other', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const documented = new Set(readme.match(/`WIT_[A-Z_]+`/g)?.map((c) => c.slice(1, -1)))
    assert.deepEqual([...documented].sort(), Object.keys(WITNESS_ERROR_CODES).sort())
  })

  it('map refusals to the statuses c2sp.org/tlog-witness names', () => {
    assert.deepEqual(REFUSAL_STATUS, {
      WIT_MALFORMED: 400,
      WIT_BODY_TOO_LARGE: 413,
      WIT_LOG_UNKNOWN: 404,
      WIT_LOG_SIG: 403,
      WIT_OLD_SIZE_TOO_LARGE: 400,
      WIT_OLD_SIZE_CONFLICT: 409,
      WIT_ROOT_MISMATCH: 409,
      WIT_PROOF_INVALID: 422,
      WIT_ROOT_LINE: 400,
      WIT_ROOT_STALE: 409,
      WIT_ROOT_UNKNOWN: 409,
    })
  })
})
