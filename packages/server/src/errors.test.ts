import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isServerError, SERVER_ERROR_CODES, ServerError, type ServerErrorCode } from './errors.js'

describe('SERVER_ERROR_CODES', () => {
  it('gives every code the SRV_ prefix, an error status, a title and a description', () => {
    for (const [code, entry] of Object.entries(SERVER_ERROR_CODES)) {
      assert.match(code, /^SRV_[A-Z_]+$/)
      assert.ok(entry.status >= 400 && entry.status <= 599, code)
      assert.ok(entry.title.length > 0 && entry.description.length > 20, code)
    }
  })

  it('keeps the statuses the API promised', () => {
    const promised: Record<string, number> = {
      SRV_VALIDATION: 400, SRV_UNAUTHENTICATED: 401, SRV_FORBIDDEN: 403, SRV_NOT_FOUND: 404,
      SRV_CONFLICT: 409, SRV_PAYLOAD_TOO_LARGE: 413, SRV_UNSUPPORTED_MEDIA: 415,
      SRV_RATE_LIMITED: 429, SRV_INTERNAL: 500,
    }
    for (const [code, status] of Object.entries(promised)) {
      assert.equal(SERVER_ERROR_CODES[code as ServerErrorCode].status, status, code)
    }
  })
})

describe('ServerError', () => {
  it('carries its code, the status of that code, and frozen field errors and headers', () => {
    const cause = new Error('db said no')
    const e = new ServerError('SRV_CONFLICT', 'already exists', {
      cause,
      errors: [{ path: '/body/id', message: 'taken' }],
      headers: { 'retry-after': '1' },
    })
    assert.equal(e.code, 'SRV_CONFLICT')
    assert.equal(e.status, 409)
    assert.equal(e.name, 'ServerError')
    assert.equal(e.cause, cause)
    assert.ok(Object.isFrozen(e.errors) && Object.isFrozen(e.headers))
    assert.ok(e instanceof Error)
  })

  it('is recognised by isServerError, with or without a code', () => {
    const e = new ServerError('SRV_NOT_FOUND', 'no such org')
    assert.ok(isServerError(e))
    assert.ok(isServerError(e, 'SRV_NOT_FOUND'))
    assert.ok(!isServerError(e, 'SRV_CONFLICT'))
    assert.ok(!isServerError(new Error('x')))
  })
})
