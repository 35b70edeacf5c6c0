import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from '@palisade/protocol'
import { PROTOCOL_ERROR_STATUS, protocolErrorStatus } from './protocol-status.js'

describe('PROTOCOL_ERROR_STATUS', () => {
  it('decides a status for every protocol code (a new code needs a decision here)', () => {
    const missing = Object.keys(PROTOCOL_ERROR_CODES).filter((c) => !Object.hasOwn(PROTOCOL_ERROR_STATUS, c))
    assert.deepEqual(missing, [])
  })

  it('lists no code that protocol does not define', () => {
    const unknown = Object.keys(PROTOCOL_ERROR_STATUS).filter((c) => !Object.hasOwn(PROTOCOL_ERROR_CODES, c))
    assert.deepEqual(unknown, [])
  })

  it('maps malformed input to 400, rule violations to 422 and missing crypto to internal', () => {
    assert.equal(protocolErrorStatus('PROTO_MALFORMED'), 400)
    assert.equal(protocolErrorStatus('PROTO_SIG_INVALID'), 422)
    assert.equal(protocolErrorStatus('PROTO_CRYPTO_UNAVAILABLE'), 'internal')
  })

  it('treats a code missing from the table as 422', () => {
    assert.equal(protocolErrorStatus('PROTO_SOMETHING_NEW' as ProtocolErrorCode), 422)
  })
})
