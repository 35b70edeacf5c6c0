// Rejection codes are forward-compatible (ERRORS.md): a receiver accepts a
// well-formed PROTO_/AGENT_ code it does not know, so a newer agent's
// rejection still reaches an older server or witness (G6), and keeps it as
// it is. Malformed codes, and codes of other namespaces, are still refused.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { canonicalJsonBytes, formatReport, parseRejection, PROTOCOL_ERROR_CODES, type Rejection } from '../../dist/node.js'
import { errorCode as codeOf } from '../fixtures/error-code.js'

const rejection: Rejection = {
  type: 'palisade.rejection/v1',
  org: 'acme',
  deviceId: 'dev-1',
  commandId: 'cmd-1',
  code: 'PROTO_SIG_THRESHOLD',
  message: 'one of two signatures',
  at: 1_790_000_000_000,
}

/** The payload bytes of `rejection` with `code`, as a device (of any version) would sign them. */
const withCode = (code: unknown): Uint8Array => canonicalJsonBytes({ ...rejection, code })

describe('rejection code (palisade.rejection/v1)', () => {
  it('accepts every code this version knows', () => {
    for (const code of [...Object.keys(PROTOCOL_ERROR_CODES), 'AGENT_POLICY_FORBIDS', 'AGENT_MALFORMED_DELIVERY']) {
      assert.equal(parseRejection(withCode(code)).code, code)
    }
  })

  it('accepts a well-formed code it does not know, and keeps it as it is', () => {
    for (const code of ['PROTO_FUTURE_THING', 'AGENT_FUTURE_THING', 'PROTO_X', `PROTO_${'A'.repeat(58)}`]) {
      const r = parseRejection(withCode(code))
      assert.equal(r.code, code)
      assert.deepEqual(r, { ...rejection, code })
    }
    // And a producer on a newer version can sign it (formatReport checks with the same parser).
    assert.equal(parseRejection(formatReport({ ...rejection, code: 'PROTO_FUTURE_THING' })).code, 'PROTO_FUTURE_THING')
  })

  it('refuses malformed codes: lower case, no known prefix, too long, empty after the prefix (PROTO_MALFORMED)', () => {
    const bad = [
      'proto_future_thing', 'PROTO_future', 'Proto_FUTURE', // lower case
      'FUTURE_THING', 'SRV_GATEWAY_REPORT_SIGNATURE', 'WIT_REPORT_INVALID', 'PROTOFUTURE', 'XPROTO_FUTURE', // no known prefix
      `PROTO_${'A'.repeat(59)}`, // 65 characters
      'PROTO_', 'AGENT_', 'PROTO__X', // nothing after the prefix
      'PROTO_FUTURE THING', 'PROTO_FUTURE-THING', 'PROTO_FUTURE\n', '', 42, null,
    ]
    for (const code of bad) assert.equal(codeOf(() => parseRejection(withCode(code))), 'PROTO_MALFORMED', JSON.stringify(code))
  })

  it('accepts exactly the codes of the shape with a known prefix', () => {
    const shape = /^[A-Z][A-Z0-9_]{2,63}$/
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^(PROTO|AGENT|SRV|WIT)_[A-Z0-9_]{0,60}$/),
          fc.string({ maxLength: 70 }),
        ),
        (code) => {
          const expected = shape.test(code) && /^(PROTO|AGENT)_[A-Z0-9]/.test(code)
          assert.equal(codeOf(() => parseRejection(withCode(code))), expected ? 'OK' : 'PROTO_MALFORMED', code)
        },
      ),
      { numRuns: 500 },
    )
  })
})
